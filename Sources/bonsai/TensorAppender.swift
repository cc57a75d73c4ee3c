import Pruning
import SafeTensors

/// Appends tensors to a `SafeTensorsWriter` chunk by chunk, each chunk written by the
/// counting copy just before the writer copies it into the file, while it is still in
/// cache: a pruned tensor goes from the mapped input through its mask into the file in that
/// one pass, and the report's counts — nonzero weights before and after, the bits an N:M
/// pattern is checked on — come from it, with no pass of their own.
///
/// One appender serves a whole run: its chunk is allocated once and reused.
final class TensorAppender {
  /// What one tensor's append found.
  struct Appended {
    /// Nonzero elements of the source and of what was written.
    let counts: CountingCopy.Counts
    /// Which written elements are nonzero, when asked for.
    let nonzeroBits: NonzeroBits?
  }

  /// The bytes of one chunk: a whole number of 64-element mask words of 4- and 2-byte
  /// elements, small enough to stay in cache between the copy and `write`, large enough
  /// that the kernel takes the file's pages in large batches (1 MB writes took 10 % less
  /// time than 256 KB ones here).
  static let chunkByteCount = 1 << 20
  /// The chunk that masked elements are written to on their way to the file.
  private let chunk = UnsafeMutableRawBufferPointer.allocate(
    byteCount: chunkByteCount, alignment: 64)

  deinit {
    chunk.deallocate()
  }

  /// Appends `source`, the bytes of a tensor of `dtype`, to `writer`: as they are, or with
  /// the elements `mask` prunes written as +0.
  ///
  /// - Parameters:
  ///   - mask: which elements are kept, or nil to keep all. Only F32, F16 and BF16 tensors
  ///     can be masked.
  ///   - landing: room for the whole tensor, where the written bytes are left too (for the
  ///     pictures and the output error, which read the tensor as written), or nil.
  ///   - recordingNonzeros: whether to record which written elements are nonzero (F32, F16
  ///     and BF16 only).
  /// - Throws: the writer's errors.
  func append(
    _ source: UnsafeRawBufferPointer, dtype: DType, keeping mask: PruningMask? = nil,
    landingIn landing: UnsafeMutableRawBufferPointer? = nil, recordingNonzeros: Bool = false,
    to writer: SafeTensorsWriter
  ) throws(SafeTensorsError) -> Appended {
    let count = source.count * 8 / dtype.bitWidth
    guard dtype.prunableScalar != nil else {
      precondition(mask == nil && landing == nil && !recordingNonzeros, "\(dtype) cannot be masked")
      let nonzero = ZeroCount.nonzero(in: source, dtype: dtype, count: count)
      try writer.append(source)
      return Appended(counts: .init(source: nonzero, written: nonzero), nonzeroBits: nil)
    }
    precondition(mask.map { $0.count == count } ?? true, "a mask of another tensor")
    precondition(landing.map { $0.count >= source.count } ?? true, "no room to land the tensor")
    var bits = recordingNonzeros ? NonzeroBits(count: count) : nil
    let counts = try withWords(of: mask) { kept throws(SafeTensorsError) in
      try withWords(of: &bits) { bitWords throws(SafeTensorsError) in
        try appendChunks(
          source, elementSize: dtype.bitWidth / 8, keeping: kept, landingIn: landing,
          recording: bitWords, to: writer)
      }
    }
    return Appended(counts: counts, nonzeroBits: bits)
  }

  /// The chunks of `source` through the counting copy into the writer: written into the
  /// landing place, else into the chunk when masked, else appended from where they lie.
  private func appendChunks(
    _ source: UnsafeRawBufferPointer, elementSize: Int, keeping kept: UnsafeBufferPointer<UInt64>?,
    landingIn landing: UnsafeMutableRawBufferPointer?, recording bits: UnsafeMutableBufferPointer<UInt64>?,
    to writer: SafeTensorsWriter
  ) throws(SafeTensorsError) -> CountingCopy.Counts {
    let count = source.count / elementSize
    let step = chunk.count / elementSize
    var counts = CountingCopy.Counts()
    for start in stride(from: 0, to: count, by: step) {
      let end = min(start + step, count)
      let bytes = start * elementSize ..< end * elementSize
      let words = start / 64 ..< (end + 63) / 64
      let from = UnsafeRawBufferPointer(rebasing: source[bytes])
      let to: UnsafeMutableRawBufferPointer? =
        if let landing { UnsafeMutableRawBufferPointer(rebasing: landing[bytes]) }
        else if kept != nil { UnsafeMutableRawBufferPointer(rebasing: chunk[0 ..< bytes.count]) }
        else { nil }
      let found = CountingCopy.copy(
        from, elementSize: elementSize, to: to,
        keeping: kept.map { UnsafeBufferPointer(rebasing: $0[words]) },
        writtenNonzero: bits.map { UnsafeMutableBufferPointer(rebasing: $0[words]) })
      counts.source += found.source
      counts.written += found.written
      try writer.append(to.map(UnsafeRawBufferPointer.init) ?? from)
    }
    return counts
  }

  /// Calls `body` with the mask's words, or nil without a mask.
  private func withWords<R, E: Error>(
    of mask: PruningMask?, _ body: (UnsafeBufferPointer<UInt64>?) throws(E) -> R
  ) throws(E) -> R {
    guard let mask else { return try body(nil) }
    return try mask.words.withUnsafeBufferPointer { words throws(E) in try body(words) }
  }

  /// Calls `body` with the bits' words to fill, or nil without bits.
  private func withWords<R, E: Error>(
    of bits: inout NonzeroBits?, _ body: (UnsafeMutableBufferPointer<UInt64>?) throws(E) -> R
  ) throws(E) -> R {
    guard var filled = bits else { return try body(nil) }
    bits = nil  // so that `filled` holds the only reference and is filled in place
    defer { bits = filled }
    return try filled.words.withUnsafeMutableBufferPointer { words throws(E) in try body(words) }
  }
}

@available(*, unavailable, message: "an appender's chunk is used by one thread at a time")
extension TensorAppender: Sendable {}
