// The only file of this module that calls into the C library (or Foundation's file
// manager): listing, copying, renaming and removing files and folders. Each wrapper reports failure as a `ModelFolderError.io`
// naming the path and the action, with the C `errno`.

import CAtomicRename
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Thin, typed wrappers over the system calls of model folders.
enum FolderCalls {
  /// What a path names, following symbolic links.
  enum Kind {
    case missing, file, folder, other
  }

  /// What `path` names, following symbolic links (a Hugging Face cache snapshot is a folder
  /// of links to blobs). The corresponding C function is `stat`.
  static func kind(of path: String) -> Kind {
    var status = stat()
    guard stat(path, &status) == 0 else { return .missing }
    switch status.st_mode & S_IFMT {
    case S_IFREG: return .file
    case S_IFDIR: return .folder
    default: return .other
    }
  }

  /// Whether `path` is a symbolic link. The corresponding C function is `lstat`.
  static func isLink(_ path: String) -> Bool {
    var status = stat()
    return lstat(path, &status) == 0 && status.st_mode & S_IFMT == S_IFLNK
  }

  /// What `path` names, in words, following links: "a FIFO", "a socket", "a device", "a
  /// dangling link", "a file", "a folder".
  static func kindDescription(of path: String) -> String {
    var status = stat()
    guard stat(path, &status) == 0 else { return isLink(path) ? "a dangling link" : "missing" }
    switch status.st_mode & S_IFMT {
    case S_IFREG: return "a file"
    case S_IFDIR: return "a folder"
    case S_IFIFO: return "a FIFO"
    case S_IFSOCK: return "a socket"
    case S_IFCHR: return "a character device"
    case S_IFBLK: return "a block device"
    default: return "not a file"
    }
  }

  /// `path` with every link and `..` resolved, or nil when it does not exist. The
  /// corresponding C function is `realpath`.
  static func realPath(_ path: String) -> String? {
    guard let real = realpath(path, nil) else { return nil }
    defer { free(real) }
    return String(cString: real)
  }

  /// The permission bits of what `path` names (following links), or nil when nothing is
  /// there. The corresponding C function is `stat`.
  static func permissions(of path: String) -> mode_t? {
    var status = stat()
    guard stat(path, &status) == 0 else { return nil }
    return status.st_mode & 0o777
  }

  /// Gives `path` the permission bits `mode`. The corresponding C function is `chmod`.
  static func changePermissions(of path: String, to mode: mode_t) throws(ModelFolderError) {
    guard chmod(path, mode) == 0 else {
      throw .io(path: path, action: "set its permissions", errno: errno)
    }
  }

  /// Whether `path` exists as a name, a dangling symbolic link included. The corresponding
  /// C function is `lstat`.
  static func exists(_ path: String) -> Bool {
    var status = stat()
    return lstat(path, &status) == 0
  }

  /// What tells two paths to one file or folder apart from two different ones.
  struct Identity: Equatable {
    let device: UInt
    let inode: UInt
  }

  /// The device and inode of `path` (following links), or nil when it does not exist. The
  /// corresponding C function is `stat`.
  static func identity(of path: String) -> Identity? {
    var status = stat()
    guard stat(path, &status) == 0 else { return nil }
    return Identity(device: UInt(status.st_dev), inode: UInt(status.st_ino))
  }

  /// The names in a folder, sorted, without `.` and `..`.
  static func entries(of path: String) throws(ModelFolderError) -> [String] {
    do {
      return try FileManager.default.contentsOfDirectory(atPath: path).sorted()
    } catch {
      let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError
      let code = underlying?.domain == NSPOSIXErrorDomain ? underlying?.code : nil
      throw .cannotList(path: path, errno: code.map(Int32.init) ?? EIO)
    }
  }

  /// The whole content of a small file (an index, a config), which must be a regular file
  /// of at most `limit` bytes: a link to `/dev/zero` would fill memory, a FIFO would block.
  /// Opened without blocking, so a FIFO is refused rather than waited on. The
  /// corresponding C functions are `open`, `fstat` and `read`.
  static func contents(of path: String, limit: Int) throws(ModelFolderError) -> [UInt8] {
    let fd = try open(path, flags: O_RDONLY | O_NONBLOCK)
    defer { close(fd) }
    var status = stat()
    guard fstat(fd, &status) == 0 else { throw .io(path: path, action: "read", errno: errno) }
    guard status.st_mode & S_IFMT == S_IFREG else {
      throw .refusedFile(path: path, problem: "not a regular file")
    }
    let tooLarge = ModelFolderError.refusedFile(
      path: path, problem: "larger than the \(limit >> 20) MiB such a file may hold")
    guard Int(status.st_size) <= limit else { throw tooLarge }
    var bytes = [UInt8]()
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
      let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
      if count < 0 && errno == EINTR { continue }
      guard count >= 0 else { throw .io(path: path, action: "read", errno: errno) }
      if count == 0 { return bytes }
      // The file may grow while it is read.
      guard bytes.count + count <= limit else { throw tooLarge }
      bytes += chunk[0 ..< count]
    }
  }

  /// Creates the file `path` (which must not exist) holding `bytes`, synced to disk when
  /// `sync`, with the permission bits `permissions` less the umask.
  static func write(
    _ bytes: [UInt8], to path: String, sync: Bool, permissions: mode_t = 0o666
  ) throws(ModelFolderError) {
    let fd = try open(path, flags: O_WRONLY | O_CREAT | O_EXCL, mode: permissions)
    defer { close(fd) }
    let written = bytes.withUnsafeBytes { buffer in
      Result { () throws(ModelFolderError) in try writeAll(fd, buffer, path: path) }
    }
    try written.get()
    if sync { try syncFile(fd, path: path) }
  }

  /// Copies the content of the file `source` (following links) into the new file `target`,
  /// a megabyte at a time, with the source's permission bits less the umask (as `cp` gives
  /// them); synced to disk when `sync`.
  static func copyFile(_ source: String, to target: String, sync: Bool) throws(ModelFolderError) {
    let input = try open(source, flags: O_RDONLY)
    defer { close(input) }
    var status = stat()
    guard fstat(input, &status) == 0 else { throw .io(path: source, action: "read", errno: errno) }
    let output = try open(target, flags: O_WRONLY | O_CREAT | O_EXCL, mode: status.st_mode & 0o777)
    defer { close(output) }
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
    defer { buffer.deallocate() }
    while true {
      let count = read(input, buffer.baseAddress, buffer.count)
      if count < 0 && errno == EINTR { continue }
      guard count >= 0 else { throw .io(path: source, action: "read", errno: errno) }
      if count == 0 { break }
      try writeAll(output, UnsafeRawBufferPointer(rebasing: buffer[0 ..< count]), path: target)
    }
    if sync { try syncFile(output, path: target) }
  }

  /// Creates the folder `path`. The corresponding C function is `mkdir`.
  static func makeFolder(_ path: String) throws(ModelFolderError) {
    guard mkdir(path, 0o777) == 0 else {
      throw .io(path: path, action: "create the folder", errno: errno)
    }
  }

  /// Flushes a folder's entries to disk; file systems that cannot are left as they are.
  static func syncFolder(_ path: String) throws(ModelFolderError) {
    let fd = try open(path, flags: O_RDONLY | O_DIRECTORY)
    defer { close(fd) }
    guard fsync(fd) == 0 || errno == EINVAL || errno == ENOTSUP else {
      throw .io(path: path, action: "sync", errno: errno)
    }
  }

  /// Gives the file `existing` the second name `new` (a hard link), failing with EEXIST if
  /// that exists and EXDEV across file systems. The corresponding C function is `link`.
  static func link(_ existing: String, to new: String) throws(ModelFolderError) {
    guard Glibc.link(existing, new) == 0 else {
      throw .io(path: new, action: "link \(existing) to it", errno: errno)
    }
  }

  /// Renames `source` to `destination`, failing with EEXIST if that exists. The
  /// corresponding C function is `renameat2` with `RENAME_NOREPLACE`.
  static func renameNoReplace(_ source: String, to destination: String) throws(ModelFolderError) {
    guard bonsai_rename_noreplace(source, destination) == 0 else {
      throw .io(path: destination, action: "rename \(source) to it", errno: errno)
    }
  }

  /// Swaps two existing paths atomically. The corresponding C function is `renameat2` with
  /// `RENAME_EXCHANGE`.
  static func exchange(_ first: String, with second: String) throws(ModelFolderError) {
    guard bonsai_rename_exchange(first, second) == 0 else {
      throw .io(path: second, action: "exchange it with \(first)", errno: errno)
    }
  }

  /// Removes the file at `path`. The corresponding C function is `unlink`.
  static func remove(_ path: String) throws(ModelFolderError) {
    guard unlink(path) == 0 else { throw .io(path: path, action: "remove it", errno: errno) }
  }

  /// Removes `path` and, for a folder, everything in it, without following links; failures
  /// are ignored (used to clean up). The entry `kept` of the folder `path` goes last, and
  /// stays unless everything else could be removed. A folder of this user that a copy made
  /// read-only (its source was) is made writable first. The corresponding C functions are
  /// `unlink` and `rmdir`.
  static func removeTree(_ path: String, keepingToTheLast kept: String? = nil) {
    var status = stat()
    guard lstat(path, &status) == 0 else { return }
    if status.st_mode & S_IFMT == S_IFDIR {
      if status.st_uid == geteuid() && status.st_mode & S_IRWXU != S_IRWXU {
        _ = chmod(path, (status.st_mode & 0o777) | S_IRWXU)
      }
      for name in (try? entries(of: path)) ?? [] where name != kept {
        removeTree(path + "/" + name)
      }
      if let kept, (try? entries(of: path)) == [kept] { _ = unlink(path + "/" + kept) }
      _ = rmdir(path)
    } else {
      _ = unlink(path)
    }
  }

  private static func open(_ path: String, flags: Int32, mode: mode_t = 0) throws(ModelFolderError)
    -> Int32
  {
    while true {
      let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
      if fd >= 0 { return fd }
      if errno != EINTR {
        throw .io(path: path, action: flags & O_CREAT != 0 ? "create" : "open", errno: errno)
      }
    }
  }

  private static func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, path: String)
    throws(ModelFolderError)
  {
    guard let base = buffer.baseAddress else { return }
    var offset = 0
    while offset < buffer.count {
      let result = Glibc.write(fd, base + offset, buffer.count - offset)
      if result > 0 {
        offset += result
      } else if result < 0 && errno == EINTR {
        continue
      } else {
        throw .io(path: path, action: "write", errno: result == 0 ? EIO : errno)
      }
    }
  }

  private static func syncFile(_ fd: Int32, path: String) throws(ModelFolderError) {
    while fsync(fd) != 0 {
      if errno != EINTR { throw .io(path: path, action: "sync", errno: errno) }
    }
  }
}
