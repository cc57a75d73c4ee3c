// The one pattern of the names Bonsai gives files it has not finished writing, and the only
// code that removes such files left behind by a killed run. A name is removed only when it
// is exactly what a writer of the same destination would have created, the file is a
// regular file of this user (never a directory, a link or anything else, never
// recursively), and the process that created it no longer runs.

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// The temporary name of an unfinished output, next to its destination:
/// `.<name>.bonsai-tmp-<pid>-<16 hex digits>`, e.g.
/// `.model.safetensors.bonsai-tmp-1234-09f86d081884c7d6`.
///
/// `<name>` is the destination's file name, shortened (at a character boundary) so that the
/// whole name fits the 255 bytes a file name may have: a destination with a long name gets
/// a temporary file all the same.
public struct TemporaryName: Sendable, Hashable {
  /// What every temporary name contains between the destination's name and the pid.
  public static let marker = ".bonsai-tmp-"

  /// The longest file name most Linux file systems accept, in bytes.
  static let maximumNameLength = 255
  /// The digits of the random part: always 16 lowercase hexadecimal digits.
  static let randomDigits = 16
  /// The most digits a pid has (`Int32.max`).
  static let maximumPIDDigits = 10

  /// The folder the destination is in (`.` for a bare name).
  public let directory: String
  /// The destination's file name.
  public let destinationName: String

  /// The temporary names of `destination`.
  /// - Precondition: `destination` names a file (does not end in `/`).
  public init(destination: String) {
    let (directory, name) = Self.split(destination)
    precondition(!name.isEmpty, "a destination names a file, not a folder: \(destination)")
    self.directory = directory
    destinationName = name
  }

  /// The start of every temporary name of this destination, before `<pid>-<random>`.
  var prefix: String {
    let room =
      Self.maximumNameLength - 1 - Self.marker.utf8.count - Self.maximumPIDDigits - 1
      - Self.randomDigits
    var shortened = ""
    var bytes = 0
    for character in destinationName {
      bytes += character.utf8.count
      if bytes > room { break }
      shortened.append(character)
    }
    return ".\(shortened)\(Self.marker)"
  }

  /// A new temporary path for this process: the pid, then 16 random hexadecimal digits.
  public func make() -> String {
    let random = String(UInt64.random(in: .min ... .max), radix: 16)
    let padded = String(repeating: "0", count: Self.randomDigits - random.count) + random
    return Self.join(directory, "\(prefix)\(SystemCalls.processID())-\(padded)")
  }

  /// The pid a name of this destination records, or nil when `name` is not exactly a
  /// temporary name of this destination.
  func writerID(ofName name: String) -> Int32? {
    guard name.hasPrefix(prefix) else { return nil }
    let rest = name.utf8.dropFirst(prefix.utf8.count)
    let parts = rest.split(separator: UInt8(ascii: "-"), omittingEmptySubsequences: false)
    guard parts.count == 2, (1 ... Self.maximumPIDDigits).contains(parts[0].count),
      parts[0].allSatisfy({ (UInt8(ascii: "0") ... UInt8(ascii: "9")).contains($0) }),
      parts[1].count == Self.randomDigits,
      parts[1].allSatisfy({ byte in
        (UInt8(ascii: "0") ... UInt8(ascii: "9")).contains(byte)
          || (UInt8(ascii: "a") ... UInt8(ascii: "f")).contains(byte)
      })
    else { return nil }
    return Int32(String(decoding: parts[0], as: UTF8.self))
  }

  /// The temporary files that writers of this destination left when they were killed:
  /// regular files of this user named exactly by this pattern whose process no longer runs.
  /// A writer that still runs (this process included) is never listed.
  public func leftovers() -> [String] {
    leftovers(ofKind: S_IFREG)
  }

  /// The entries of kind `kind` (`S_IFREG`, `S_IFDIR`, …, as in `stat`'s `st_mode`) that
  /// belong to this user, are named exactly by this pattern and whose writer no longer runs.
  public func leftovers(ofKind kind: mode_t) -> [String] {
    SystemCalls.directoryEntries(directory).compactMap { name in
      guard let pid = writerID(ofName: name), !SystemCalls.processIsRunning(pid) else {
        return nil
      }
      let path = Self.join(directory, name)
      guard let status = try? SystemCalls.linkStatus(path),
        status.st_mode & S_IFMT == kind, status.st_uid == SystemCalls.effectiveUserID()
      else { return nil }
      return path
    }
  }

  /// Removes ``leftovers()``, one file at a time (`unlink`, never recursively).
  /// - Returns: Each leftover and, when it could not be removed, why (`errno`).
  public func removeLeftovers() -> [(path: String, errno: Int32?)] {
    leftovers().map { path in
      do throws(Errno) {
        try SystemCalls.unlinkFile(path)
        return (path, nil)
      } catch {
        return (path, error.code)
      }
    }
  }

  /// `name` inside `directory`.
  static func join(_ directory: String, _ name: String) -> String {
    directory == "/" ? "/\(name)" : "\(directory)/\(name)"
  }

  /// The directory (`.` when `path` has none) and the file name of `path`.
  static func split(_ path: String) -> (directory: String, name: String) {
    guard let slash = path.lastIndex(of: "/") else { return (".", path) }
    let directory = String(path[..<slash])
    let name = String(path[path.index(after: slash)...])
    return (directory.isEmpty ? "/" : directory, name)
  }
}
