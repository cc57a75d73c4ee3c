/// Which elements of a written tensor are nonzero, one bit each, recorded by the counting
/// copy as it writes them: what an N:M pattern is checked on, without reading the tensor
/// again.
///
/// Element `i` is bit `i % 64` of word `i / 64`, set when nonzero (±0 count as zero); bits
/// past `count` are clear.
struct NonzeroBits {
  /// The number of elements.
  let count: Int
  /// The packed bits, (count + 63) / 64 words.
  var words: [UInt64]

  /// All clear, for `count` elements.
  init(count: Int) {
    self.count = count
    words = [UInt64](repeating: 0, count: (count + 63) / 64)
  }

  /// Whether every group of `group` consecutive elements, counted from the first, holds
  /// at most `keep` nonzero ones: for a row-major matrix whose rows are a multiple of
  /// `group` long, what `SemiStructuredPattern.isSatisfied` says of the written values.
  ///
  /// - Complexity: O(count / 64) for groups that divide 64 (the counts of a word's groups
  ///   taken at once), O(count / group + count / 64) otherwise.
  func satisfies(keep: Int, of group: Int) -> Bool {
    precondition(group >= 1 && keep >= 0 && count % group == 0)
    if keep >= group { return true }
    if 64 % group == 0 { return wordsSatisfy(keep: keep, of: group) }
    for start in stride(from: 0, to: count, by: group) where setBits(in: start ..< start + group) > keep {
      return false
    }
    return true
  }

  /// The check for groups that divide a word: each word's group counts summed in place,
  /// then every count above `keep` found by one addition that carries into its top bit.
  private func wordsSatisfy(keep: Int, of group: Int) -> Bool {
    if group == 64 { return words.allSatisfy { $0.nonzeroBitCount <= keep } }
    if group == 1 { return keep >= 1 || words.allSatisfy { $0 == 0 } }
    // A field of `group` bits per group; its top bit marks a count above `keep` once
    // 2^(group−1) − 1 − keep is added (count ≤ group, so the sum never leaves the field).
    let fields = UInt64.max / ((1 << UInt64(group)) - 1)  // the low bit of every field
    let bias = fields &* ((1 << UInt64(group - 1)) - 1 - UInt64(keep))
    let tops = fields << UInt64(group - 1)
    for word in words where (Self.groupCounts(word, group: group) &+ bias) & tops != 0 {
      return false
    }
    return true
  }

  /// The set bits of each `group`-bit field of `word` (group a power of two from 2 to 32),
  /// in that field.
  private static func groupCounts(_ word: UInt64, group: Int) -> UInt64 {
    var counts = word &- ((word >> 1) & 0x5555_5555_5555_5555)
    if group == 2 { return counts }
    counts = (counts & 0x3333_3333_3333_3333) &+ ((counts >> 2) & 0x3333_3333_3333_3333)
    if group == 4 { return counts }
    counts = (counts &+ (counts >> 4)) & 0x0F0F_0F0F_0F0F_0F0F
    if group == 8 { return counts }
    counts = (counts &+ (counts >> 8)) & 0x00FF_00FF_00FF_00FF
    if group == 16 { return counts }
    return (counts &+ (counts >> 16)) & 0x0000_FFFF_0000_FFFF
  }

  /// The set bits in `range`.
  private func setBits(in range: Range<Int>) -> Int {
    var total = 0
    var index = range.lowerBound
    while index < range.upperBound {
      let offset = index & 63
      let length = min(64 - offset, range.upperBound - index)
      let field = length == 64 ? UInt64.max : ((1 << UInt64(length)) - 1) << UInt64(offset)
      total += (words[index >> 6] & field).nonzeroBitCount
      index += length
    }
    return total
  }
}
