/// Counting keys of a kind: zeros (units forced first because an earlier round pruned them)
/// and keys of non-finite scores.
enum KeyCount {
  /// How many of `keys` are 0.
  static func zeros(in keys: UnsafeBufferPointer<UInt32>) -> Int {
    keys.reduce(0) { $0 &+ Int(BranchFree.equal($1, 0)) }
  }

  /// How many keys of `source` are 0, read a block at a time on one thread.
  static func zeros<Source: KeySource>(in source: Source) -> Int {
    count(in: source) { BranchFree.equal($0, 0) }
  }

  /// How many keys of `source` stand for NaN or ±Inf scores (at or above
  /// `ScoreKey.infiniteMagnitude`), read a block at a time on one thread.
  static func nonFinite<Source: KeySource>(in source: Source) -> Int {
    count(in: source) { 1 &- BranchFree.less($0, ScoreKey.infiniteMagnitude) }
  }

  /// The sum of `matches(key)` (0 or 1) over the keys of `source`, segment by segment,
  /// letting go of each segment once counted.
  private static func count<Source: KeySource>(
    in source: Source, _ matches: (UInt32) -> UInt64
  ) -> Int {
    let blockSize = LowestKSelection.blockSize
    return withUnsafeTemporaryAllocation(of: UInt32.self, capacity: blockSize) { keys in
      var total = 0
      var segmentStart = 0
      for (segment, size) in source.segmentCounts.enumerated() {
        let segmentEnd = segmentStart + size
        for start in stride(from: segmentStart, to: segmentEnd, by: blockSize) {
          let end = min(start + blockSize, segmentEnd)
          source.fillKeys(start ..< end, into: keys)
          for index in 0 ..< end - start { total &+= Int(matches(keys[index])) }
        }
        source.finished(segment: segment)
        segmentStart = segmentEnd
      }
      return total
    }
  }
}
