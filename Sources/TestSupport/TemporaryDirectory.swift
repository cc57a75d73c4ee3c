// Tests that touch the file system each get a directory of their own, so they can run in
// parallel and leave nothing behind.

import Foundation

/// A new, empty directory under the system's temporary directory, removed with everything
/// in it when the last reference goes away.
public final class TemporaryDirectory: Sendable {
  /// The directory's absolute path, without a trailing slash.
  public let path: String

  /// Creates the directory.
  /// - Parameter prefix: The start of the directory's name, to tell test runs apart.
  public init(prefix: String = "bonsai-test") throws {
    let base = FileManager.default.temporaryDirectory.path
    path = "\(base)/\(prefix)-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
  }

  deinit {
    try? FileManager.default.removeItem(atPath: path)
  }

  /// The path of `name` inside the directory (the file need not exist).
  public func file(_ name: String) -> String {
    "\(path)/\(name)"
  }

  /// The names of the entries in the directory, hidden ones included, sorted.
  public func entries() throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: path).sorted()
  }
}
