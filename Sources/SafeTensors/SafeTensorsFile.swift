/// A safetensors file, memory-mapped read-only and fully validated on opening.
///
/// The format: an 8-byte little-endian header length N (at most 100,000,000), N bytes of
/// UTF-8 JSON describing each tensor (`dtype`, `shape`, `data_offsets`) plus an optional
/// `"__metadata__"` map of strings, then the data region, which the tensors tile exactly.
/// Opening checks all of it, more strictly than the reference implementation (no unknown
/// fields, no duplicate keys, no numbers written as `1.0` or `1e3`), so that every
/// ``TensorInfo`` afterwards is consistent and every ``withBytes(of:_:)`` is in bounds.
///
/// Nothing is copied: tensor bytes are views into the mapping, which lives as long as this
/// object. Instances are immutable and may be shared between threads.
public final class SafeTensorsFile: Sendable {
  /// The path the file was opened with.
  public let path: String
  /// The `"__metadata__"` map; empty when the header has none.
  public let metadata: [String: String]
  /// Whether the header has a `"__metadata__"` entry (possibly an empty one).
  public let hasMetadata: Bool
  /// Every tensor, in data-offset order.
  public let tensors: [TensorInfo]

  private let mapping: MappedFile
  private let dataStart: Int
  private let indexByName: [TensorName: Int]

  /// Opens, maps and validates the safetensors file at `path`.
  ///
  /// - Throws: ``SafeTensorsError`` naming the file and what is wrong with it: an I/O
  ///   failure, a truncated or oversized header, invalid UTF-8 or JSON, a malformed entry,
  ///   or offsets that do not tile the data region.
  public init(path: String) throws(SafeTensorsError) {
    let mapping = try MappedFile(path: path)
    let bytes = mapping.bytes
    let fileSize = bytes.count
    let length = bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self).littleEndian
    guard length <= UInt64(maximumHeaderLength) else {
      throw .headerTooLarge(path: path, length: length)
    }
    let headerLength = Int(length)
    guard headerLength <= fileSize - 8 else {
      throw .headerPastEndOfFile(path: path, length: length, fileSize: fileSize)
    }
    let dataStart = 8 + headerLength
    let header = UnsafeRawBufferPointer(rebasing: bytes[8..<dataStart])
    let parsed = try HeaderParser.parse(header.bindMemory(to: UInt8.self), path: path)
    let tensors = try DataLayout.validate(
      parsed.entries, dataSize: fileSize - dataStart, path: path)

    var indexByName: [TensorName: Int] = [:]
    for (index, tensor) in tensors.enumerated() {
      indexByName[TensorName(tensor.name)] = index
    }
    self.path = path
    self.metadata = parsed.metadata ?? [:]
    self.hasMetadata = parsed.metadata != nil
    self.tensors = tensors
    self.mapping = mapping
    self.dataStart = dataStart
    self.indexByName = indexByName
  }

  /// The tensor called `name` (the same UTF-8 bytes), or nil if there is none.
  public func tensor(named name: String) -> TensorInfo? {
    indexByName[TensorName(name)].map { tensors[$0] }
  }

  /// Calls `body` with the tensor's bytes, a view into the mapped file (no copy).
  ///
  /// The buffer is valid only during `body`; it holds `tensor.byteCount` bytes, little-endian
  /// as stored, with no alignment guarantee (use `loadUnaligned`).
  /// - Parameters:
  ///   - tensor: One of this file's ``tensors``; passing a tensor of another file is a
  ///     programmer error and traps.
  ///   - body: Reads the bytes; whatever it returns or throws is passed on.
  public func withBytes<R, E: Error>(
    of tensor: TensorInfo, _ body: (UnsafeRawBufferPointer) throws(E) -> R
  ) throws(E) -> R {
    guard let index = indexByName[TensorName(tensor.name)], tensors[index] == tensor else {
      preconditionFailure("tensor \(quoted(tensor.name)) is not a tensor of \(path)")
    }
    let start = dataStart + tensor.dataOffsets.lowerBound
    let view = UnsafeRawBufferPointer(rebasing: mapping.bytes[start..<start + tensor.byteCount])
    defer { withExtendedLifetime(mapping) {} }
    return try body(view)
  }

  /// Calls `body` with views of the bytes of several tensors at once (no copy), in the order
  /// given: for passes that read many tensors together, such as a global ranking.
  ///
  /// The views are valid only during `body`; alignment as for ``withBytes(of:_:)``.
  /// - Parameter tensors: tensors of this file; one of another file traps.
  public func withBytes<R, E: Error>(
    of tensors: [TensorInfo], _ body: ([UnsafeRawBufferPointer]) throws(E) -> R
  ) throws(E) -> R {
    let views = tensors.map { tensor in
      guard let index = indexByName[TensorName(tensor.name)], self.tensors[index] == tensor else {
        preconditionFailure("tensor \(quoted(tensor.name)) is not a tensor of \(path)")
      }
      let start = dataStart + tensor.dataOffsets.lowerBound
      return UnsafeRawBufferPointer(rebasing: mapping.bytes[start..<start + tensor.byteCount])
    }
    defer { withExtendedLifetime(mapping) {} }
    return try body(views)
  }

  /// Lets the kernel drop the tensor's pages from memory: a pass over a checkpoint larger
  /// than memory calls this after each tensor, so that only the tensors it is working on stay
  /// resident. Reading the tensor again afterwards still works; it is read back from the
  /// file.
  public func release(_ tensor: TensorInfo) {
    let start = dataStart + tensor.dataOffsets.lowerBound
    SystemCalls.dropPages(mapping.bytes, start ..< start + tensor.byteCount)
  }

  /// Checks that the file still has all the bytes it had when opened. Call it before
  /// reading a tensor when another program might truncate the file meanwhile: reading a
  /// mapped page past the new end of the file raises SIGBUS, which this turns into an error
  /// for every truncation that happens before the check.
  /// - Throws: ``SafeTensorsError/truncated(path:size:expected:)``.
  public func checkNotTruncated() throws(SafeTensorsError) {
    if let size = mapping.currentSize(), size < fileSize {
      throw .truncated(path: path, size: size, expected: fileSize)
    }
  }

  /// The size of the file in bytes: 8 + header length + data region.
  public var fileSize: Int {
    mapping.bytes.count
  }
}
