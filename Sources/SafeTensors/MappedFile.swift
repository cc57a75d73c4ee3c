#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// A whole file mapped read-only into memory, unmapped when the last reference goes away.
///
/// `@unchecked Sendable` is sound because the mapping is read-only (`PROT_READ`,
/// `MAP_PRIVATE`), never changes after `init`, and is unmapped only in `deinit`, when no
/// other reference can exist. If another process truncates the file while it is mapped,
/// reading the lost pages raises SIGBUS: that is inherent to memory-mapping. The file stays
/// open so that ``currentSize()`` can tell, before a read, whether it has shrunk.
final class MappedFile: @unchecked Sendable {
  /// The file's bytes; at least 8 of them.
  let bytes: UnsafeRawBufferPointer
  /// The open file, read-only, closed in `deinit`.
  private let fd: Int32

  /// Maps the file at `path`.
  ///
  /// Files shorter than 8 bytes, the empty file included, are rejected before mapping
  /// (POSIX forbids zero-length mappings, and no such file can be a safetensors file).
  init(path: String) throws(SafeTensorsError) {
    let fd: Int32
    do {
      // O_NONBLOCK so that opening a FIFO by mistake fails later instead of hanging here.
      fd = try SystemCalls.openFile(path, flags: O_RDONLY | O_NONBLOCK | O_NOCTTY)
    } catch {
      throw .cannotOpen(path: path, errno: error.code)
    }
    var mapped = false
    defer { if !mapped { try? SystemCalls.closeFile(fd) } }

    let status: stat
    do {
      status = try SystemCalls.fileStatus(fd)
    } catch {
      throw .cannotRead(path: path, errno: error.code)
    }
    guard status.st_mode & S_IFMT == S_IFREG else { throw .notRegularFile(path: path) }
    let size = Int(status.st_size)
    guard size >= 8 else { throw .fileTooShort(path: path, size: size) }

    do {
      let base = try SystemCalls.mapReadOnly(fd, count: size)
      bytes = UnsafeRawBufferPointer(start: base, count: size)
    } catch {
      throw .cannotRead(path: path, errno: error.code)
    }
    self.fd = fd
    mapped = true
  }

  deinit {
    if let base = bytes.baseAddress {
      SystemCalls.unmap(base, count: bytes.count)
    }
    try? SystemCalls.closeFile(fd)
  }

  /// The file's size now (the corresponding C function is `fstat`), or nil when it cannot
  /// be read.
  func currentSize() -> Int? {
    (try? SystemCalls.fileStatus(fd)).map { Int($0.st_size) }
  }
}
