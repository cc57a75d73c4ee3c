#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Writes a safetensors file by streaming tensor bytes into a ``StagedFile`` that replaces
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
/// To commit the file together with other outputs, write into a staged file of your own
/// (``init(file:tensors:metadata:)``), call ``finishWriting()`` and pass the file to
/// ``AtomicCommit/commit(_:)`` with the others.
///
/// On any error, on ``abandon()``, or when the writer is released before ``finish()``, the
/// temporary file is removed and an existing destination is left untouched. Calling
/// `append` or `finish` after `finish()`, `abandon()` or a thrown error is a programmer
/// error and traps; `abandon()` then does nothing.
public final class SafeTensorsWriter {
  private enum State {
    /// Bytes may be appended.
    case writing
    /// Finished, abandoned or failed: the temporary file is complete, gone or renamed.
    case closed
  }

  /// The file being written.
  private let file: StagedFile
  private var path: String { file.destination }
  private let tensors: [(header: TensorHeader, offsets: Range<Int>)]
  private let declaredBytes: Int
  private var appendedBytes = 0
  private var state = State.writing

  /// Creates `<dir>/.<name>.bonsai-tmp-<pid>-<random>` next to `path` (see
  /// ``TemporaryName``), reserves the whole file's disk space (``StagedFile/reserve(_:)``: a
  /// disk too full for it fails here) and writes the header into it (offsets computed from
  /// the headers, tensors contiguous in the given order).
  ///
  /// - Parameters:
  ///   - path: The destination: absent or a regular file. It is created or replaced by
  ///     ``finish()`` only.
  ///   - tensors: The tensors, in the order their bytes will be appended. Names must be
  ///     unique and not `"__metadata__"`; dimensions non-negative; each tensor's bit count
  ///     a multiple of 8 (an even number of `F4` elements, say).
  ///   - metadata: Written as `"__metadata__"` (keys sorted) when non-nil, even if empty;
  ///     no `"__metadata__"` key when nil.
  ///   - syncsToDisk: Whether ``finish()`` flushes the file to disk before the rename and
  ///     the directory after it (default); see ``StagedFile/init(destination:syncsToDisk:)``.
  /// - Throws: ``SafeTensorsError/invalidTensor(path:tensor:problem:)`` for a tensor that
  ///   cannot be stored, ``SafeTensorsError/headerTooLarge(path:length:)`` (both before any
  ///   file is created), ``SafeTensorsError/notRegularDestination(path:kind:)``,
  ///   ``SafeTensorsError/cannotCreate(path:errno:)`` or
  ///   ``SafeTensorsError/cannotWrite(path:errno:)``.
  public convenience init(
    path: String, tensors: [TensorHeader], metadata: [String: String]?, syncsToDisk: Bool = true
  ) throws(SafeTensorsError) {
    let layout = try Layout(tensors: tensors, metadata: metadata, path: path)
    try self.init(
      file: StagedFile(destination: path, syncsToDisk: syncsToDisk), layout: layout)
  }

  /// Writes the header into `file`, which must be empty; the tensors and metadata are as
  /// for ``init(path:tensors:metadata:syncsToDisk:)``.
  /// - Throws: As ``init(path:tensors:metadata:syncsToDisk:)``; `file` is discarded when
  ///   the header cannot be written.
  public convenience init(file: StagedFile, tensors: [TensorHeader], metadata: [String: String]?)
    throws(SafeTensorsError)
  {
    try self.init(
      file: file, layout: Layout(tensors: tensors, metadata: metadata, path: file.destination))
  }

  private init(file: StagedFile, layout: Layout) throws(SafeTensorsError) {
    // The whole file's space first: cheaper writes, and a full disk found before any.
    try file.reserve(layout.prefix.count + layout.dataBytes)
    let written = layout.prefix.withUnsafeBytes { buffer in
      Result { () throws(SafeTensorsError) in try file.write(buffer) }
    }
    try written.get()
    self.file = file
    tensors = layout.tensors
    declaredBytes = layout.dataBytes
  }

  /// Where each tensor's bytes go and the serialized header.
  private struct Layout {
    let tensors: [(header: TensorHeader, offsets: Range<Int>)]
    let dataBytes: Int
    /// The 8-byte length and the header.
    let prefix: [UInt8]

    init(tensors: [TensorHeader], metadata: [String: String]?, path: String)
      throws(SafeTensorsError)
    {
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
      self.tensors = planned
      dataBytes = end
      self.prefix = prefix
    }
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
      try file.write(bytes)
    } catch {
      state = .closed
      throw error
    }
    appendedBytes += bytes.count
  }

  /// Checks that every declared byte was appended and seals the file (synced, closed),
  /// leaving it under its temporary name for ``AtomicCommit/commit(_:)``.
  /// - Throws: ``SafeTensorsError/missingBytes(path:tensor:written:expected:)`` naming the
  ///   first incomplete tensor, or an I/O error; the temporary file is then removed.
  public func finishWriting() throws(SafeTensorsError) {
    precondition(state == .writing, "SafeTensorsWriter finished after finish, abandon or error")
    state = .closed
    guard appendedBytes == declaredBytes else {
      // The first tensor not yet complete; there is one, since bytes are missing.
      let incomplete = tensors.first { $0.offsets.upperBound > appendedBytes }
      file.discard()
      let offsets = incomplete?.offsets ?? 0..<declaredBytes
      throw .missingBytes(
        path: path, tensor: incomplete?.header.name ?? "",
        written: max(0, appendedBytes - offsets.lowerBound), expected: offsets.count)
    }
    try file.seal()
  }

  /// ``finishWriting()``, then renames the file onto the destination and syncs the
  /// directory so the rename survives a crash (both syncs only when `syncsToDisk`).
  /// - Throws: As ``finishWriting()`` and ``AtomicCommit/commit(_:)``. Unless only the
  ///   final directory sync failed (``SafeTensorsError/cannotSyncDirectory(path:errno:)``),
  ///   the temporary file is removed and the destination is untouched.
  public func finish() throws(SafeTensorsError) {
    try finishWriting()
    try AtomicCommit.commit([file])
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
    file.discard()
  }
}

@available(*, unavailable, message: "a writer is used by one task at a time")
extension SafeTensorsWriter: Sendable {}
