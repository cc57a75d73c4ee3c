#if canImport(Glibc)
import Glibc
#endif

/// Whether two paths name the same file.
enum SamePath {
  /// What tells two files apart: the device and the inode.
  struct Identity: Equatable {
    let device: UInt64
    let inode: UInt64
  }

  /// True when both exist and are the same inode, or when neither exists yet and they are
  /// the same path once their folders are resolved.
  static func same(_ first: String, _ second: String) -> Bool {
    if let a = identity(of: first), let b = identity(of: second) { return a == b }
    return resolved(first) == resolved(second)
  }

  /// The device and inode of what `path` names, following links; nil when nothing is there.
  static func identity(of path: String) -> Identity? {
    var status = stat()
    guard stat(path, &status) == 0 else { return nil }
    return Identity(device: UInt64(status.st_dev), inode: UInt64(status.st_ino))
  }

  /// Whether `path` names an existing folder (a link to one included).
  static func isFolder(_ path: String) -> Bool {
    var status = stat()
    return stat(path, &status) == 0 && status.st_mode & S_IFMT == S_IFDIR
  }

  /// Whether `path` lies inside the existing folder `folder` (links and `..` resolved).
  static func isInside(_ path: String, folder: String) -> Bool {
    guard isFolder(folder) else { return false }
    return isInside(real: resolved(path), realFolder: canonical(folder))
  }

  /// Whether the resolved path `real` lies inside the resolved folder path `realFolder`.
  static func isInside(real: String, realFolder: String) -> Bool {
    real.hasPrefix(realFolder == "/" ? "/" : realFolder + "/")
  }

  /// The names in the folder `path`, sorted, without `.` and `..`; none when it cannot be
  /// read.
  static func entries(of path: String) -> [String] {
    guard let folder = opendir(path) else { return [] }
    defer { closedir(folder) }
    var names = [String]()
    while let entry = readdir(folder) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
        String(decoding: bytes.prefix(while: { $0 != 0 }), as: UTF8.self)
      }
      if name != "." && name != ".." { names.append(name) }
    }
    return names.sorted()
  }

  /// `path` with every link and `..` resolved: the whole path when it exists, else its
  /// folder.
  static func canonical(_ path: String) -> String {
    guard let real = realpath(path, nil) else { return resolved(path) }
    defer { free(real) }
    return String(cString: real)
  }

  /// The path with its folder resolved by realpath(3), or the path itself.
  static func resolved(_ path: String) -> String {
    let slash = path.lastIndex(of: "/")
    let folder = slash.map { String(path[..<$0]) } ?? "."
    let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
    guard let real = realpath(folder.isEmpty ? "/" : folder, nil) else { return path }
    defer { free(real) }
    return String(cString: real) + "/" + name
  }
}
