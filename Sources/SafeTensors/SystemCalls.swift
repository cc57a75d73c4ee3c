// The only file that calls into the C library for file I/O. Each wrapper retries on EINTR
// where POSIX allows it and reports failure as a typed `Errno`, which callers turn into a
// `SafeTensorsError` naming the file.

import CFileSpace

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// A failed system call's `errno`.
struct Errno: Error, Equatable {
  /// The C `errno` value.
  let code: Int32

  /// The current thread's `errno`.
  static var current: Errno { Errno(code: errno) }
}

/// Thin, typed wrappers over the system calls this module uses.
enum SystemCalls {
  /// Opens `path`, retrying on EINTR. The corresponding C function is `open`.
  static func openFile(
    _ path: String, flags: Int32, mode: mode_t = 0
  ) throws(Errno) -> Int32 {
    while true {
      let fd = open(path, flags | O_CLOEXEC, mode)
      if fd >= 0 { return fd }
      if errno != EINTR { throw .current }
    }
  }

  /// The status of an open file. The corresponding C function is `fstat`.
  static func fileStatus(_ fd: Int32) throws(Errno) -> stat {
    var status = stat()
    guard fstat(fd, &status) == 0 else { throw .current }
    return status
  }

  /// The status of `path` itself, not of what a symbolic link points to. The corresponding
  /// C function is `lstat`.
  static func linkStatus(_ path: String) throws(Errno) -> stat {
    var status = stat()
    guard lstat(path, &status) == 0 else { throw .current }
    return status
  }

  /// Sets the permission bits of an open file. The corresponding C function is `fchmod`.
  static func changeMode(_ fd: Int32, _ mode: mode_t) throws(Errno) {
    guard fchmod(fd, mode) == 0 else { throw .current }
  }

  /// Maps `count` bytes of `fd` read-only and private. The corresponding C function is
  /// `mmap`. `count` must be positive: a zero-length mapping is an error in POSIX.
  static func mapReadOnly(_ fd: Int32, count: Int) throws(Errno) -> UnsafeRawPointer {
    precondition(count > 0, "cannot map zero bytes")
    let address = mmap(nil, count, PROT_READ, MAP_PRIVATE, fd, 0)
    guard let address, address != UnsafeMutableRawPointer(bitPattern: -1) else {
      throw .current
    }
    return UnsafeRawPointer(address)
  }

  /// Drops the resident pages wholly inside `range` of a read-only mapping; they are read
  /// back from the file if touched again. The corresponding C function is `madvise` with
  /// `MADV_DONTNEED`.
  static func dropPages(_ mapping: UnsafeRawBufferPointer, _ range: Range<Int>) {
    guard let base = mapping.baseAddress else { return }
    let page = Int(sysconf(Int32(_SC_PAGESIZE)))
    let start = (Int(bitPattern: base) + range.lowerBound + page - 1) / page * page
    let end = (Int(bitPattern: base) + range.upperBound) / page * page
    guard end > start, let address = UnsafeMutableRawPointer(bitPattern: start) else { return }
    // Advice only: a failure leaves the pages resident, which is never wrong.
    _ = madvise(address, end - start, MADV_DONTNEED)
  }

  /// Unmaps a mapping made by `mapReadOnly`. The corresponding C function is `munmap`.
  static func unmap(_ address: UnsafeRawPointer, count: Int) {
    // munmap only fails for arguments that mapReadOnly could not have produced.
    _ = munmap(UnsafeMutableRawPointer(mutating: address), count)
  }

  /// Writes all of `buffer`, looping over short writes and EINTR. The corresponding C
  /// function is `write`.
  static func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) throws(Errno) {
    guard let base = buffer.baseAddress else { return }
    var offset = 0
    while offset < buffer.count {
      let result = write(fd, base + offset, buffer.count - offset)
      if result > 0 {
        offset += result
      } else if result == 0 {
        // Not expected for a regular file; treat as an I/O error rather than spin.
        throw Errno(code: EIO)
      } else if errno != EINTR {
        throw .current
      }
    }
  }

  /// Flushes a file's data and metadata to the device, retrying on EINTR. The
  /// corresponding C function is `fsync`.
  static func syncFile(_ fd: Int32) throws(Errno) {
    while fsync(fd) != 0 {
      if errno != EINTR { throw .current }
    }
  }

  /// Closes `fd`. Not retried on EINTR: on Linux the descriptor is released either way.
  /// The corresponding C function is `close`.
  static func closeFile(_ fd: Int32) throws(Errno) {
    if close(fd) != 0 && errno != EINTR { throw .current }
  }

  /// Atomically replaces `destination` with `source`. The corresponding C function is
  /// `rename`.
  static func renameFile(_ source: String, to destination: String) throws(Errno) {
    guard rename(source, destination) == 0 else { throw .current }
  }

  /// Removes `path`, ignoring failure: used only to clean up. The corresponding C function
  /// is `unlink`.
  static func removeFile(_ path: String) {
    try? unlinkFile(path)
  }

  /// Removes the name `path` (never a directory). The corresponding C function is `unlink`.
  static func unlinkFile(_ path: String) throws(Errno) {
    guard unlink(path) == 0 else { throw .current }
  }

  /// Gives the file `existing` a second name, `new`, which must not exist. The
  /// corresponding C function is `link`.
  static func linkFile(_ existing: String, to new: String) throws(Errno) {
    guard link(existing, new) == 0 else { throw .current }
  }

  /// Allocates the blocks of the first `count` bytes of the file without changing its size,
  /// retrying on EINTR. The corresponding C function is `fallocate` with
  /// `FALLOC_FL_KEEP_SIZE`.
  static func reserveSpace(_ fd: Int32, count: Int) throws(Errno) {
    while bonsai_reserve_file_space(fd, Int64(count)) != 0 {
      if errno != EINTR { throw .current }
    }
  }

  /// Starts writing `range` of the file back to disk without waiting. On Linux,
  /// `posix_fadvise` with `POSIX_FADV_DONTNEED` starts the writeback of the range's dirty
  /// pages (as `sync_file_range` would); it drops only pages already clean, so freshly
  /// written ones stay cached. Advice only: failure changes nothing.
  static func startWriteback(_ fd: Int32, _ range: Range<Int>) {
    _ = posix_fadvise(fd, off_t(range.lowerBound), off_t(range.count), POSIX_FADV_DONTNEED)
  }

  /// Whether a process with this ID exists (signal 0 reaches it, or it belongs to another
  /// user). The corresponding C function is `kill`.
  static func processIsRunning(_ pid: Int32) -> Bool {
    pid > 0 && (kill(pid, 0) == 0 || errno == EPERM)
  }

  /// The names in a directory (none when it cannot be read). The corresponding C functions
  /// are `opendir`, `readdir` and `closedir`.
  static func directoryEntries(_ path: String) -> [String] {
    guard let directory = opendir(path) else { return [] }
    defer { closedir(directory) }
    var names = [String]()
    while let entry = readdir(directory) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
      }
      if name != "." && name != ".." { names.append(name) }
    }
    return names
  }

  /// The user the process acts as. The corresponding C function is `geteuid`.
  static func effectiveUserID() -> uid_t {
    geteuid()
  }

  /// The calling process's id. The corresponding C function is `getpid`.
  static func processID() -> Int32 {
    getpid()
  }
}
