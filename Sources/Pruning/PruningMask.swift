/// Which elements of a tensor survive pruning: one bit per element, set for kept.
///
/// A mask over 45 M weights takes 5.6 MB. Bits are packed little-endian into 64-bit words:
/// element `i` is bit `i % 64` of word `i / 64`; bits past `count` are zero.
public struct PruningMask: Sendable, Hashable {
  /// The number of elements the mask covers.
  public let count: Int
  /// The packed bits, for callers that apply or store masks themselves: element `i` is bit
  /// `i % 64` of word `i / 64`, set for kept; (count + 63) / 64 words, bits past `count`
  /// zero. Reading it shares the mask's storage: nothing is copied or widened (unlike
  /// `floatValues`, 32 times the size).
  public internal(set) var words: [UInt64]

  /// A mask of `count` elements, all kept or all pruned.
  ///
  /// - Throws: `PruningError.negativeCount` for a negative count.
  public init(count: Int, allKept: Bool) throws(PruningError) {
    guard count >= 0 else { throw .negativeCount(what: "mask size", count: count) }
    self.init(uncheckedCount: count, allKept: allKept)
  }

  /// A mask of `count` ≥ 0 elements, all kept or all pruned.
  init(uncheckedCount count: Int, allKept: Bool) {
    self.count = count
    self.words = Array(repeating: allKept ? .max : 0, count: (count + 63) / 64)
    clearTail()
  }

  /// A mask from one Boolean per element, `true` for kept.
  public init(kept: [Bool]) {
    self.init(uncheckedCount: kept.count, allKept: false)
    for (index, isKept) in kept.enumerated() where isKept {
      words[index >> 6] |= 1 << UInt64(index & 63)
    }
  }

  /// A mask over packed words (internal: built by the pruning passes).
  init(count: Int, words: [UInt64]) {
    precondition(words.count == (count + 63) / 64)
    self.count = count
    self.words = words
    clearTail()
  }

  /// Whether element `index` is kept.
  public subscript(index: Int) -> Bool {
    precondition(index >= 0 && index < count, "mask index \(index) out of 0..<\(count)")
    return words[index >> 6] >> UInt64(index & 63) & 1 == 1
  }

  /// The number of kept elements.
  public var keptCount: Int {
    words.reduce(0) { $0 + $1.nonzeroBitCount }
  }

  /// The number of pruned elements.
  public var prunedCount: Int { count - keptCount }

  /// The fraction of elements kept, in [0, 1]; 1 for an empty mask.
  public var density: Double {
    count == 0 ? 1 : Double(keptCount) / Double(count)
  }

  /// The mask as one `Float` per element: 1 for kept, 0 for pruned.
  public var floatValues: [Float] {
    (0 ..< count).map { self[$0] ? 1 : 0 }
  }

  /// Zeroes the elements of `tensor` that this mask prunes.
  ///
  /// - Throws: `PruningError.maskMismatch` unless the mask covers exactly the tensor's
  ///   elements.
  public func apply(to tensor: inout WeightTensor) throws(PruningError) {
    guard count == tensor.count else {
      throw .maskMismatch(maskCount: count, shape: tensor.shape)
    }
    tensor.values.withUnsafeMutableBufferPointer { apply(to: $0) }
  }

  /// Tensors of at least this many bytes are larger than the caches can hold, so weights
  /// pruned 64 at a time (whole rows, blocks) are zeroed past the caches, without reading
  /// them first: about half the memory traffic when rows are pruned.
  static let cacheBypassBytes = 16 << 20

  /// Zeroes the elements of `values` that this mask prunes: positive zero is written, kept
  /// elements are not touched.
  func apply<Scalar: PrunableScalar>(
    to values: UnsafeMutableBufferPointer<Scalar>, threads: Int = 1
  ) {
    precondition(count == values.count)
    let layout = ChunkLayout(count: count)
    let bypassingCache = count * MemoryLayout<Scalar>.stride >= Self.cacheBypassBytes
    words.withUnsafeBufferPointer { words in
      Parallel.forEach(tasks: layout.chunkCount, threads: threads) { chunk in
        let units = layout.units(ofChunk: chunk)
        let chunkWords = UnsafeBufferPointer(rebasing: words[units.lowerBound >> 6 ..< (units.upperBound + 63) >> 6])
        Self.zero(values, from: units.lowerBound, keeping: chunkWords, bypassingCache: bypassingCache)
      }
    }
  }

  /// Zeroes the elements of `values` from `start` on (as many as `kept` has bits for, up to
  /// the end) whose bit in `kept` is clear. `start` is a multiple of 64. With
  /// `bypassingCache`, elements pruned 64 at a time are written past the caches.
  static func zero<Scalar: PrunableScalar>(
    _ values: UnsafeMutableBufferPointer<Scalar>, from start: Int,
    keeping kept: UnsafeBufferPointer<UInt64>, bypassingCache: Bool = false
  ) {
    precondition(start & 63 == 0 && start <= values.count)
    let count = min(kept.count * 64, values.count - start)
    let raw = UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(values)[
      start * MemoryLayout<Scalar>.stride ..< (start + count) * MemoryLayout<Scalar>.stride])
    Kernels.zero(
      raw, elementSize: MemoryLayout<Scalar>.stride, keeping: kept, bypassingCache: bypassingCache)
  }

  /// Sets the bits of `range` (kept).
  mutating func setKept(_ range: Range<Int>) {
    var index = range.lowerBound
    while index < range.upperBound {
      let offset = index & 63
      let length = min(64 - offset, range.upperBound - index)
      let bits: UInt64 = length == 64 ? .max : ((1 << UInt64(length)) - 1) << UInt64(offset)
      words[index >> 6] |= bits
      index += length
    }
  }

  /// Sets the kept bits of `pattern` at elements `start ..< start + pattern.count`, a word
  /// at a time (whatever `start`'s alignment).
  mutating func setKept(copying pattern: PruningMask, at start: Int) {
    precondition(start >= 0 && start + pattern.count <= count, "pattern past the mask")
    pattern.words.withUnsafeBufferPointer { pattern in
      words.withUnsafeMutableBufferPointer { words in
        Self.orBits(pattern, into: words, atBit: start)
      }
    }
  }

  /// ORs the bits of `pattern` into `words` from bit `start` on, a word at a time (whatever
  /// `start`'s alignment), touching no word that receives no set bit. Bits of `pattern` past
  /// the end of `words` must be zero.
  static func orBits(
    _ pattern: UnsafeBufferPointer<UInt64>, into words: UnsafeMutableBufferPointer<UInt64>,
    atBit start: Int
  ) {
    let shift = UInt64(start & 63)
    let first = start >> 6
    for (index, word) in pattern.enumerated() where word != 0 {
      words[first + index] |= word << shift
      // Only a nonzero carry is written: the word after a pattern's last one may belong to
      // another worker (the next band of a grouped selection).
      let carry = shift == 0 ? 0 : word >> (64 - shift)
      if carry != 0 { words[first + index + 1] |= carry }
    }
  }

  private mutating func clearTail() {
    let used = count & 63
    if used != 0 { words[words.count - 1] &= (1 << UInt64(used)) - 1 }
  }
}
