#if canImport(Glibc)
import Glibc
#endif

/// Whether two paths name the same file.
enum SamePath {
  /// True when both exist and are the same inode, or when neither exists yet and they are
  /// the same path once their folders are resolved.
  static func same(_ first: String, _ second: String) -> Bool {
    var a = stat()
    var b = stat()
    if stat(first, &a) == 0 && stat(second, &b) == 0 {
      return a.st_dev == b.st_dev && a.st_ino == b.st_ino
    }
    return resolved(first) == resolved(second)
  }

  /// Whether `path` names an existing folder (a link to one included).
  static func isFolder(_ path: String) -> Bool {
    var status = stat()
    return stat(path, &status) == 0 && status.st_mode & S_IFMT == S_IFDIR
  }

  /// Whether `path` lies inside the existing folder `folder` (links and `..` resolved).
  static func isInside(_ path: String, folder: String) -> Bool {
    guard isFolder(folder), let real = realpath(folder, nil) else { return false }
    defer { free(real) }
    let root = String(cString: real)
    return resolved(path).hasPrefix(root == "/" ? "/" : root + "/")
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
