#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// A file being written under a ``TemporaryName`` next to its destination, which it replaces
/// only when ``AtomicCommit/commit(_:)`` renames it into place, so that the destination is
/// never half-written.
///
/// ```swift
/// let report = try StagedFile(destination: "report.json")
/// try bytes.withUnsafeBytes { try report.write($0) }
/// try AtomicCommit.commit([report])
/// ```
///
/// The destination must be absent or a regular file: a symbolic link, a directory, a device,
/// a FIFO or a socket is refused (``SafeTensorsError/notRegularDestination(path:kind:)``),
/// never replaced. Permission bits follow `cp`: a file that is replaced passes its bits on
/// (as `cp` onto an existing file keeps them); a new one made from another (a pruned
/// checkpoint from its input) gets that file's bits less the umask (a `0600` input gives a
/// `0600` output, never a wider one), and any other new one `0666` less the umask. On any error, on
/// ``discard()``, or when released before the commit, the temporary file is removed and the
/// destination is left untouched. Writing after ``seal()`` or ``discard()`` is a programmer
/// error and traps.
public final class StagedFile {
  /// Where the file goes.
  public let destination: String
  /// Where it is while being written.
  public let temporaryPath: String
  /// Whether the file is flushed to disk before it is renamed, and its directory after.
  public let syncsToDisk: Bool

  private enum State {
    /// Bytes may be written.
    case writing
    /// Complete, closed and synced; waiting to be renamed into place.
    case sealed
    /// Renamed into place, or removed.
    case closed
  }

  private let fd: Int32
  private var state = State.writing
  /// Bytes written so far.
  private var written = 0
  /// Bytes handed to the kernel for writing back so far.
  private var writebackStarted = 0
  /// Writeback is started every this many bytes, so that the disk writes while the caller
  /// computes what comes next and the final sync has little left to wait for.
  private static let writebackStep = 32 << 20

  /// Checks `destination` and creates a new, empty temporary file next to it (failing rather
  /// than reusing a name).
  ///
  /// - Parameters:
  ///   - destination: The file to create or replace; absent or a regular file.
  ///   - syncsToDisk: Whether the file is flushed to disk before the rename and the
  ///     directory after it (default). Without, a crash or kill of the process still never
  ///     leaves a partial destination, but after a power loss or kernel crash it may be empty
  ///     or incomplete.
  ///   - permissions: The permission bits of the file it is made from
  ///     (``permissions(of:)``), which a new file gets less the umask; nil for `0666`. A
  ///     file that is replaced keeps its own either way.
  ///   - announce: Called with each temporary path just before it is created, so that a
  ///     caller can arrange its removal if the process is stopped (the next path is
  ///     announced only if that one already existed).
  /// - Throws: ``SafeTensorsError/notRegularDestination(path:kind:)``,
  ///   ``SafeTensorsError/cannotCreate(path:errno:)``.
  public init(
    destination: String, syncsToDisk: Bool = true, permissions: mode_t? = nil,
    announcing announce: (String) -> Void = { _ in }
  ) throws(SafeTensorsError) {
    guard !destination.hasSuffix("/"), !destination.isEmpty else {
      throw .notRegularDestination(path: destination, kind: "a directory")
    }
    let replaced = try Self.checkDestination(destination)
    (fd, temporaryPath) = try Self.createTemporaryFile(
      for: destination, permissions: permissions ?? 0o666, announcing: announce)
    self.destination = destination
    self.syncsToDisk = syncsToDisk
    if let replaced {
      do {
        try SystemCalls.changeMode(fd, replaced.st_mode & 0o777)
      } catch {
        discard()
        throw .cannotCreate(path: destination, errno: error.code)
      }
    }
  }

  deinit {
    if state != .closed { discard() }
  }

  /// A new file under a temporary name of `destination` with the permission bits
  /// `permissions` less the umask, failing rather than reusing a name.
  private static func createTemporaryFile(
    for destination: String, permissions: mode_t, announcing announce: (String) -> Void
  ) throws(SafeTensorsError) -> (fd: Int32, path: String) {
    let name = TemporaryName(destination: destination)
    var attempts = 0
    while true {
      let path = name.make()
      announce(path)
      do {
        let fd = try SystemCalls.openFile(
          path, flags: O_WRONLY | O_CREAT | O_EXCL | O_NOCTTY, mode: permissions)
        return (fd, path)
      } catch where error.code == EEXIST && attempts < 16 {
        attempts += 1
      } catch {
        throw .cannotCreate(path: destination, errno: error.code)
      }
    }
  }

  /// The permission bits of the file at `path` (following links), to give a file made from
  /// it; nil when it cannot be read. The corresponding C function is `stat`.
  public static func permissions(of path: String) -> mode_t? {
    var status = stat()
    guard stat(path, &status) == 0 else { return nil }
    return status.st_mode & 0o777
  }

  /// Checks that `path` can be replaced by a file: it is absent or a regular file (a path
  /// whose folder is missing counts as absent; creating the file will say so).
  /// - Returns: The status of the regular file there, or nil when there is none.
  /// - Throws: ``SafeTensorsError/notRegularDestination(path:kind:)`` naming what is there.
  @discardableResult
  public static func checkDestination(_ path: String) throws(SafeTensorsError) -> stat? {
    let status: stat
    do {
      status = try SystemCalls.linkStatus(path)
    } catch {
      return nil
    }
    let kinds: [mode_t: String] = [
      S_IFLNK: "a symbolic link", S_IFDIR: "a directory", S_IFCHR: "a character device",
      S_IFBLK: "a block device", S_IFIFO: "a FIFO", S_IFSOCK: "a socket",
    ]
    let type = status.st_mode & S_IFMT
    guard type == S_IFREG else {
      throw .notRegularDestination(path: path, kind: kinds[type] ?? "not a regular file")
    }
    return status
  }

  /// Reserves disk space for the first `byteCount` bytes of the file, before they are
  /// written: the file system allocates their blocks at once, which makes the writes that
  /// follow cheaper, and a disk too full for them fails here, before anything is written.
  /// The file's size still grows only as bytes are written. A file system that cannot
  /// reserve space is no error: the writes then allocate as they go. The corresponding C
  /// function is `fallocate` with `FALLOC_FL_KEEP_SIZE`.
  /// - Throws: ``SafeTensorsError/cannotWrite(path:errno:)`` with `ENOSPC`, `EDQUOT` or
  ///   `EFBIG` (the space does not fit), after which the temporary file is removed.
  public func reserve(_ byteCount: Int) throws(SafeTensorsError) {
    precondition(state == .writing, "StagedFile.reserve(_:) after seal or discard")
    guard byteCount > 0 else { return }
    do {
      try SystemCalls.reserveSpace(fd, count: byteCount)
    } catch where [ENOSPC, EDQUOT, EFBIG].contains(error.code) {
      discard()
      throw .cannotWrite(path: destination, errno: error.code)
    } catch {
      // Advice only: the writes allocate what was not reserved.
    }
  }

  /// Appends `bytes` (the corresponding C function is `write`); pass large chunks.
  /// - Throws: ``SafeTensorsError/cannotWrite(path:errno:)`` (`ENOSPC`: "no space left on
  ///   device"), after which the temporary file is removed.
  public func write(_ bytes: UnsafeRawBufferPointer) throws(SafeTensorsError) {
    precondition(state == .writing, "StagedFile.write(_:) after seal or discard")
    do {
      try SystemCalls.writeAll(fd, bytes)
    } catch {
      discard()
      throw .cannotWrite(path: destination, errno: error.code)
    }
    written += bytes.count
    if syncsToDisk && written - writebackStarted >= Self.writebackStep {
      SystemCalls.startWriteback(fd, writebackStarted ..< written)
      writebackStarted = written
    }
  }

  /// Marks the file complete: syncs it to disk (`fsync`, when `syncsToDisk`) and closes it.
  /// It stays under its temporary name until committed. Does nothing when already sealed.
  /// - Throws: ``SafeTensorsError/cannotWrite(path:errno:)``, after which the temporary
  ///   file is removed.
  public func seal() throws(SafeTensorsError) {
    precondition(state != .closed, "StagedFile.seal() after commit or discard")
    guard state == .writing else { return }
    do {
      if syncsToDisk { try SystemCalls.syncFile(fd) }
      state = .sealed
      try SystemCalls.closeFile(fd)
    } catch {
      discard()
      throw .cannotWrite(path: destination, errno: error.code)
    }
  }

  /// Removes the temporary file; the destination is untouched. Does nothing once committed
  /// or discarded.
  public func discard() {
    switch state {
    case .writing:
      try? SystemCalls.closeFile(fd)
      SystemCalls.removeFile(temporaryPath)
    case .sealed:
      SystemCalls.removeFile(temporaryPath)
    case .closed:
      break
    }
    state = .closed
  }

  /// Records that the temporary file was renamed into place.
  func markCommitted() {
    precondition(state == .sealed, "committed before being sealed")
    state = .closed
  }
}

@available(*, unavailable, message: "a staged file is written by one task at a time")
extension StagedFile: Sendable {}
