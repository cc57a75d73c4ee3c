import Foundation
import Testing
import TestSupport

/// Bonsai's version is written once, as `BONSAI_VERSION` in the C header, which the command
/// line and `bonsai_version()` read; the Python package's metadata (`pyproject.toml`) cannot
/// read a C header, so it must say the same.
@Suite("Version")
struct VersionTests {
  /// The first double-quoted string on the first line of the package file `path` that
  /// starts with `prefix`.
  static func quoted(after prefix: String, in path: String) throws -> String {
    let text = try String(
      contentsOf: Documentation.root.appendingPathComponent(path), encoding: .utf8)
    let line = try #require(
      text.split(separator: "\n").first { $0.hasPrefix(prefix) }, "\(path): no \(prefix)")
    let parts = line.split(separator: "\"", omittingEmptySubsequences: false)
    try #require(parts.count >= 3, "\(path): \(line)")
    return String(parts[1])
  }

  @Test func theCommandLineTheHeaderAndThePythonPackageAgree() throws {
    let header = try Self.quoted(
      after: "#define BONSAI_VERSION ", in: "Sources/CBonsaiABI/include/bonsai.h")
    #expect(header.split(separator: ".").count == 3, "\(header)")
    let python = try Self.quoted(after: "version = ", in: "python/pyproject.toml")
    #expect(python == header)
    let result = try BonsaiProcess.run(["--version"])
    #expect(result.status == 0)
    #expect(result.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines) == header)
  }
}
