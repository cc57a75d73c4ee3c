/// Something that yields the selection keys of `count` units, block by block, computing them
/// on the fly (from weights, a seed, or a score array) so that no key array is materialised.
protocol KeySource {
  /// The number of units.
  var count: Int { get }

  /// Writes the keys of units `range` to `keys[0 ..< range.count]`.
  func fillKeys(_ range: Range<Int>, into keys: UnsafeMutableBufferPointer<UInt32>)
}

/// Keys of a score array (per-unit scores, or scores supplied by a caller).
struct ScoreArrayKeys: KeySource {
  let scores: UnsafeBufferPointer<Float>

  var count: Int { scores.count }

  func fillKeys(_ range: Range<Int>, into keys: UnsafeMutableBufferPointer<UInt32>) {
    for (slot, index) in range.enumerated() {
      keys[slot] = ScoreKey.key(scores[index])
    }
  }
}

/// Keys already computed (candidate keys gathered during selection).
struct KeyArrayKeys: KeySource {
  let keys: UnsafeBufferPointer<UInt32>

  var count: Int { keys.count }

  func fillKeys(_ range: Range<Int>, into keys: UnsafeMutableBufferPointer<UInt32>) {
    _ = keys.update(fromContentsOf: self.keys[range])
  }
}
