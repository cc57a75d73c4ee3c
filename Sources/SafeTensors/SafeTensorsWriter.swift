#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Writes a safetensors file by streaming tensor bytes into a temporary file that replaces
/// the destination only when complete, so the destination is never half-written.
///
/// The header is computed up front from the ``TensorHeader``s: tensors are stored
/// contiguously in the given order. Then ``append(_:)`` takes the bytes of all tensors, in
/// that order, in chunks of any size, and ``finish()`` checks that every declared byte
/// arrived, syncs, and renames the file into place.
///
/// ```swift
/// let writer = try SafeTensorsWriter(path: "out.safetensors", tensors: headers, metadata: nil)
/// for chunk in chunks { try writer.append(chunk) }
/// try writer.finish()
/// ```
///
/// On any error, on ``abandon()``, or when the writer is released before ``finish()``, the
/// temporary file is removed and an existing destination is left untouched. Calling
/// `append` or `finish` after `finish()`, `abandon()` or a thrown error is a programmer
/// error and traps; `abandon()` then does nothing.
public final class SafeTensorsWriter {
  /// What the temporary file's name contains, after `.` and the destination's file name and
  /// before `<pid>-<random>`: `.model.safetensors.bonsai-tmp-1234-9f86d081884c7d65`.
  /// A name that starts with `.` and contains this string is a leftover of an interrupted run.
  public static let temporaryFilePrefix = ".bonsai-tmp-"

  private enum State {
    /// Bytes may be appended.
    case writing
    /// Finished, abandoned or failed: the temporary file is gone or renamed.
    case closed
  }

  private let path: String
  private let temporaryPath: String
  private let directory: String
  private let fd: Int32
  private let tensors: [(header: TensorHeader, offsets: Range<Int>)]
  private let declaredBytes: Int
  private var appendedBytes = 0
  /// The file offset of the first data byte (after the header).
  private let dataStart: Int
  /// Bytes of the file handed to the kernel for writing back so far.
  private var writebackStarted = 0
  /// Writeback is started every this many bytes, so that the disk writes while the caller
  /// computes the next tensor and `finish()`'s sync has little left to wait for.
  private static let writebackStep = 32 << 20
  /// Whether the file and its directory are synced to disk before and after the rename.
  private let syncsToDisk: Bool
  private var state = State.writing

  /// Creates `<dir>/.<basename>.bonsai-tmp-<pid>-<random>` next to `path` and writes the
  /// header into it (offsets computed from the headers, tensors contiguous in the given
  /// order).
  ///
  /// - Parameters:
  ///   - path: The destination. It is created or replaced by ``finish()`` only.
  ///   - tensors: The tensors, in the order their bytes will be appended. Names must be
  ///     unique and not `"__metadata__"`; dimensions non-negative; each tensor's bit count
  ///     a multiple of 8 (an even number of `F4` elements, say).
  ///   - metadata: Written as `"__metadata__"` (keys sorted) when non-nil, even if empty;
  ///     no `"__metadata__"` key when nil.
  ///   - syncsToDisk: Whether ``finish()`` flushes the file to disk before the rename and
  ///     the directory after it (default). Without, the rename still replaces the
  ///     destination only with a complete file — a crash or kill of the process never leaves
  ///     a partial one — but after a power loss or kernel crash the destination may be empty
  ///     or incomplete. Faster when the disk is slower than the pruning.
  /// - Throws: ``SafeTensorsError/invalidTensor(path:tensor:problem:)`` for a tensor that
  ///   cannot be stored, ``SafeTensorsError/headerTooLarge(path:length:)``,
  ///   ``SafeTensorsError/cannotCreate(path:errno:)`` or
  ///   ``SafeTensorsError/cannotWrite(path:errno:)``.
  public init(
    path: String, tensors: [TensorHeader], metadata: [String: String]?, syncsToDisk: Bool = true
  ) throws(SafeTensorsError) {
    var planned: [(header: TensorHeader, offsets: Range<Int>)] = []
    var names = Set<String>()
    var end = 0
    for header in tensors {
      func invalid(_ problem: String) -> SafeTensorsError {
        .invalidTensor(path: path, tensor: header.name, problem: problem)
      }
      if header.name == HeaderParser.metadataKey {
        throw invalid("the name is reserved for the metadata map")
      }
      guard names.insert(header.name).inserted else {
        throw invalid("duplicate tensor name: given more than once")
      }
      let count: Int
      do {
        count = try header.dtype.byteCount(forShape: header.shape)
      } catch {
        throw invalid(error.message(dtype: header.dtype, shape: header.shape))
      }
      let (next, overflow) = end.addingReportingOverflow(count)
      if overflow { throw invalid("the tensors' total size overflows a 64-bit integer") }
      planned.append((header, end..<next))
      end = next
    }
    let prefix = HeaderSerializer.encode(tensors: planned, metadata: metadata)
    let headerLength = prefix.count - 8
    guard headerLength <= maximumHeaderLength else {
      throw .headerTooLarge(path: path, length: UInt64(headerLength))
    }

    let (directory, basename) = Self.split(path)
    guard !basename.isEmpty else { throw .cannotCreate(path: path, errno: EISDIR) }
    let (fd, temporaryPath) = try Self.createTemporaryFile(
      directory: directory, basename: basename, destination: path)
    let written = prefix.withUnsafeBytes { buffer in
      Result { () throws(Errno) in try SystemCalls.writeAll(fd, buffer) }
    }
    if case .failure(let error) = written {
      try? SystemCalls.closeFile(fd)
      SystemCalls.removeFile(temporaryPath)
      throw .cannotWrite(path: path, errno: error.code)
    }

    self.path = path
    self.syncsToDisk = syncsToDisk
    self.temporaryPath = temporaryPath
    self.directory = directory
    self.fd = fd
    self.tensors = planned
    self.declaredBytes = end
    self.dataStart = prefix.count
  }

  deinit {
    if state == .writing { discard() }
  }

  /// Appends the next bytes of tensor data: any chunking, as long as the chunks add up to
  /// each tensor's bytes, tensor after tensor, in the order given to `init`.
  ///
  /// Each call writes through to the file (the corresponding C function is `write`), so
  /// pass large chunks rather than single elements.
  /// - Throws: ``SafeTensorsError/excessBytes(path:declared:received:)`` when the bytes go
  ///   beyond what the tensors declare, ``SafeTensorsError/cannotWrite(path:errno:)`` on
  ///   an I/O error (`ENOSPC`: "no space left on device"). Either way the temporary file is
  ///   removed and the writer is closed.
  public func append(_ bytes: UnsafeRawBufferPointer) throws(SafeTensorsError) {
    precondition(state == .writing, "SafeTensorsWriter.append(_:) after finish, abandon or error")
    guard bytes.count <= declaredBytes - appendedBytes else {
      let received = appendedBytes + bytes.count
      fail()
      throw .excessBytes(path: path, declared: declaredBytes, received: received)
    }
    do {
      try SystemCalls.writeAll(fd, bytes)
    } catch {
      fail()
      throw .cannotWrite(path: path, errno: error.code)
    }
    appendedBytes += bytes.count
    let written = dataStart + appendedBytes
    if syncsToDisk && written - writebackStarted >= Self.writebackStep {
      SystemCalls.startWriteback(fd, writebackStarted ..< written)
      writebackStarted = written
    }
  }

  /// Checks that every declared byte was appended, syncs the file to disk (`fsync`),
  /// renames it onto the destination (`rename`), and syncs the directory so the rename
  /// survives a crash (both syncs only when `syncsToDisk`).
  /// - Throws: ``SafeTensorsError/missingBytes(path:tensor:written:expected:)`` naming the
  ///   first incomplete tensor, or an I/O error. Unless only the final directory sync
  ///   failed (``SafeTensorsError/cannotSyncDirectory(path:errno:)``), the temporary file
  ///   is removed and the destination is untouched.
  public func finish() throws(SafeTensorsError) {
    precondition(state == .writing, "SafeTensorsWriter.finish() after finish, abandon or error")
    guard appendedBytes == declaredBytes else {
      // The first tensor not yet complete; there is one, since bytes are missing.
      let incomplete = tensors.first { $0.offsets.upperBound > appendedBytes }
      fail()
      let offsets = incomplete?.offsets ?? 0..<declaredBytes
      throw .missingBytes(
        path: path, tensor: incomplete?.header.name ?? "",
        written: max(0, appendedBytes - offsets.lowerBound), expected: offsets.count)
    }
    do {
      if syncsToDisk { try SystemCalls.syncFile(fd) }
    } catch {
      fail()
      throw .cannotWrite(path: path, errno: error.code)
    }
    state = .closed
    do {
      try SystemCalls.closeFile(fd)
    } catch {
      SystemCalls.removeFile(temporaryPath)
      throw .cannotWrite(path: path, errno: error.code)
    }
    do {
      try SystemCalls.renameFile(temporaryPath, to: path)
    } catch {
      SystemCalls.removeFile(temporaryPath)
      throw .cannotReplace(path: path, errno: error.code)
    }
    state = .closed
    if syncsToDisk { try syncDirectory() }
  }

  /// Stops writing and removes the temporary file; the destination is untouched. Does
  /// nothing if the writer is already finished or closed. Releasing an unfinished writer
  /// does the same.
  public func abandon() {
    if state == .writing { fail() }
  }

  /// Closes and removes the temporary file.
  private func fail() {
    state = .closed
    discard()
  }

  private func discard() {
    try? SystemCalls.closeFile(fd)
    SystemCalls.removeFile(temporaryPath)
  }

  private func syncDirectory() throws(SafeTensorsError) {
    do {
      let directoryFD = try SystemCalls.openFile(directory, flags: O_RDONLY | O_DIRECTORY)
      defer { try? SystemCalls.closeFile(directoryFD) }
      do {
        try SystemCalls.syncFile(directoryFD)
      } catch  where error.code == EINVAL || error.code == ENOTSUP {
        // Some file systems cannot sync directories; the rename is as durable as they allow.
      }
    } catch {
      throw .cannotSyncDirectory(path: path, errno: error.code)
    }
  }

  /// The temporary files that writers of `path` left behind when they were killed: those
  /// named for `path` whose process no longer runs. A writer that is still running (this
  /// process included) is never listed.
  public static func leftoverTemporaryFiles(for path: String) -> [String] {
    let (directory, basename) = split(path)
    let prefix = temporaryNamePrefix(basename)
    return SystemCalls.directoryEntries(directory).compactMap { name in
      guard name.hasPrefix(prefix),
        let pid = Int32(name.dropFirst(prefix.count).prefix { $0 != "-" }),
        !SystemCalls.processIsRunning(pid)
      else { return nil }
      return join(directory, name)
    }
  }

  /// The start of the temporary file names for destination `basename`, before
  /// `<pid>-<random>`.
  private static func temporaryNamePrefix(_ basename: String) -> String {
    ".\(basename)\(temporaryFilePrefix)"
  }

  /// `name` inside `directory`.
  private static func join(_ directory: String, _ name: String) -> String {
    directory == "/" ? "/\(name)" : "\(directory)/\(name)"
  }

  /// The directory (`.` when `path` has none) and the file name of `path`.
  private static func split(_ path: String) -> (directory: String, basename: String) {
    guard let slash = path.lastIndex(of: "/") else { return (".", path) }
    let directory = String(path[..<slash])
    let basename = String(path[path.index(after: slash)...])
    return (directory.isEmpty ? "/" : directory, basename)
  }

  /// Creates a new, empty temporary file next to the destination, readable and writable by
  /// the user (and by others as the umask allows), failing rather than reusing a name.
  private static func createTemporaryFile(
    directory: String, basename: String, destination: String
  ) throws(SafeTensorsError) -> (fd: Int32, path: String) {
    let pid = SystemCalls.processID()
    var attempts = 0
    while true {
      let random = String(UInt64.random(in: .min ... .max), radix: 16)
      let path = join(directory, "\(temporaryNamePrefix(basename))\(pid)-\(random)")
      do {
        let fd = try SystemCalls.openFile(
          path, flags: O_WRONLY | O_CREAT | O_EXCL | O_NOCTTY, mode: 0o666)
        return (fd, path)
      } catch  where error.code == EEXIST && attempts < 16 {
        attempts += 1
      } catch {
        throw .cannotCreate(path: destination, errno: error.code)
      }
    }
  }
}

@available(*, unavailable, message: "a writer is used by one task at a time")
extension SafeTensorsWriter: Sendable {}
