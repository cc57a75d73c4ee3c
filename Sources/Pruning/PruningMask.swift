/// Which elements of a tensor survive pruning: one bit per element, set for kept.
///
/// A mask over 45 M weights takes 5.6 MB. Bits are packed little-endian into 64-bit words:
/// element `i` is bit `i % 64` of word `i / 64`; bits past `count` are zero.
public struct PruningMask: Sendable, Hashable {
  /// The number of elements the mask covers.
  public let count: Int
  /// The packed bits.
  var words: [UInt64]

  /// A mask of `count` elements, all kept or all pruned.
  public init(count: Int, allKept: Bool) {
    precondition(count >= 0, "negative mask size \(count)")
    self.count = count
    self.words = Array(repeating: allKept ? .max : 0, count: (count + 63) / 64)
    clearTail()
  }

  /// A mask from one Boolean per element, `true` for kept.
  public init(kept: [Bool]) {
    self.init(count: kept.count, allKept: false)
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
  /// - Precondition: the mask covers exactly the tensor's elements.
  public func apply(to tensor: inout WeightTensor) {
    precondition(count == tensor.count, "mask of \(count) applied to \(tensor.count) elements")
    tensor.values.withUnsafeMutableBufferPointer { apply(to: $0) }
  }

  /// Zeroes the elements of `values` that this mask prunes: positive zero is written, kept
  /// elements are not touched.
  func apply<Scalar: PrunableScalar>(to values: UnsafeMutableBufferPointer<Scalar>) {
    precondition(count == values.count)
    values.withMemoryRebound(to: Scalar.Bits.self) { bits in
      for (wordIndex, word) in words.enumerated() where word != .max {
        Self.zero(bits, from: wordIndex << 6, keeping: word)
      }
    }
  }

  /// Zeroes elements `start ..< start + 64` (fewer at the end) whose bit in `kept` is clear,
  /// sixteen lanes at a time.
  @inline(__always)
  static func zero<Bits: FixedWidthInteger & SIMDScalar>(
    _ bits: UnsafeMutableBufferPointer<Bits>, from start: Int, keeping kept: UInt64
  ) {
    let length = min(64, bits.count - start)
    guard let base = bits.baseAddress, length == 64 else {
      for offset in 0 ..< length {
        let keep = Bits(truncatingIfNeeded: kept >> UInt64(offset) & 1)
        bits[start + offset] &= 0 &- keep
      }
      return
    }
    let raw = UnsafeMutableRawPointer(base + start)
    for part in 0 ..< 4 where (kept >> UInt64(part * 16)) & 0xFFFF != 0xFFFF {
      let offset = part * 16 * MemoryLayout<Bits>.stride
      let lanes = raw.loadUnaligned(fromByteOffset: offset, as: SIMD16<Bits>.self)
      let keep = LaneBits.ones(kept >> UInt64(part * 16), Bits.self)
      raw.storeBytes(of: lanes & keep, toByteOffset: offset, as: SIMD16<Bits>.self)
    }
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
    let shift = UInt64(start & 63)
    let first = start >> 6
    for (index, word) in pattern.words.enumerated() where word != 0 {
      words[first + index] |= word << shift
      if shift != 0 && first + index + 1 < words.count {
        words[first + index + 1] |= word >> (64 - shift)
      }
    }
  }

  private mutating func clearTail() {
    let used = count & 63
    if used != 0 { words[words.count - 1] &= (1 << UInt64(used)) - 1 }
  }
}
