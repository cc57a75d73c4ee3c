/// The exact answer of a k-lowest selection, in a form every chunk can apply on its own:
/// prune every unit whose key is below `threshold`, and, of the units whose key equals it,
/// the first `tieQuotas[c]` of chunk `c` (lower indices first, the tie rule).
struct SelectionCut {
  /// Units with a key below this are pruned.
  let threshold: UInt32
  /// Per chunk, how many of its units with key == `threshold` are pruned, lowest first.
  let tieQuotas: [Int]
  /// How many keys are at or above `ScoreKey.infiniteMagnitude` (non-finite scores), as
  /// counted on the way; nil when the selection did not read every key.
  let nonFiniteKeys: Int?

  /// The cut that prunes nothing.
  static func none(_ layout: ChunkLayout) -> SelectionCut {
    SelectionCut(
      threshold: 0, tieQuotas: Array(repeating: 0, count: layout.chunkCount), nonFiniteKeys: nil)
  }

  /// The cut that prunes everything.
  static func all(_ layout: ChunkLayout) -> SelectionCut {
    SelectionCut(
      threshold: ScoreKey.aboveAll, tieQuotas: Array(repeating: 0, count: layout.chunkCount),
      nonFiniteKeys: nil)
  }

  /// The cut at `threshold` that prunes `ties` units of key == `threshold`, spread over the
  /// chunks in index order given how many such units each chunk holds.
  init(threshold: UInt32, ties: Int, equalCounts: [Int], nonFiniteKeys: Int?) {
    var remaining = ties
    self.threshold = threshold
    self.nonFiniteKeys = nonFiniteKeys
    self.tieQuotas = equalCounts.map { equal in
      let quota = min(equal, remaining)
      remaining -= quota
      return quota
    }
  }

  /// The share of this cut of the units in `chunks`, as a cut of those units on their own
  /// (a tensor of a global ranking, whose chunks are its own).
  func restricted(to chunks: Range<Int>) -> SelectionCut {
    SelectionCut(threshold: threshold, tieQuotas: Array(tieQuotas[chunks]), nonFiniteKeys: nil)
  }

  private init(threshold: UInt32, tieQuotas: [Int], nonFiniteKeys: Int?) {
    self.threshold = threshold
    self.tieQuotas = tieQuotas
    self.nonFiniteKeys = nonFiniteKeys
  }
}
