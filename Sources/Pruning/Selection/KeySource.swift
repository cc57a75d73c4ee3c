/// Something that yields the selection keys of `count` units, block by block, computing them
/// on the fly (from weights, a seed, or a score array) so that no key array is materialised.
protocol KeySource {
  /// The number of units.
  var count: Int { get }

  /// Writes the keys of units `range` to `keys[0 ..< range.count]`.
  func fillKeys(_ range: Range<Int>, into keys: UnsafeMutableBufferPointer<UInt32>)

  /// The sizes of the consecutive segments the units come in (the tensors of a global
  /// ranking); one segment by default.
  var segmentCounts: [Int] { get }

  /// Called after a pass has read every key of segment `segment`, so that a source reading a
  /// file can let go of its pages.
  func finished(segment: Int)
}

extension KeySource {
  /// One segment of all the units.
  var segmentCounts: [Int] { [count] }

  /// Nothing to let go of.
  func finished(segment: Int) {}
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
