// Block keys computed from the weights as each pass of the selection reads them. A score
// array holds one Float per block: for small blocks that is most of the tensor's size again
// (n/2 bytes for 1×2 blocks), beyond pruning's bound of n/8 bytes for the mask and at most
// n/8 candidate keys. Recomputing a block's pooled score in each pass costs a little time and
// no memory.

/// The selection keys of the blocks of a matrix, pooled from element scores block by block.
/// With `zerosFirst`, a block whose weights are all zero keys 0, below every score's key.
struct BlockKeys<Scalar: PrunableScalar>: KeySource {
  let values: UnsafeBufferPointer<Scalar>
  let grid: BlockGrid
  let pooling: PooledScores.Pooling
  let scoring: ElementScoring
  /// The seed of random scores, which draw one LCG step per block instead of pooling.
  let randomSeed: UInt64?
  let zerosFirst: Bool

  var count: Int { grid.count }

  func fillKeys(_ range: Range<Int>, into keys: UnsafeMutableBufferPointer<UInt32>) {
    let blocks = min(range.count, grid.gridColumns)
    grid.withScratch(blocks: blocks) { scratch in
      withUnsafeTemporaryAllocation(of: Float.self, capacity: blocks) { scores in
        var unit = range.lowerBound
        // One block row at a time.
        while unit < range.upperBound {
          let first = unit % grid.gridColumns
          let end = min(grid.gridColumns, first + range.upperBound - unit)
          let slot = unit - range.lowerBound
          let gridRow = unit / grid.gridColumns
          if let randomSeed {
            for offset in 0 ..< end - first {
              keys[slot + offset] = ScoreKey.key(
                RandomScores.unitScore(seed: randomSeed, unit: unit + offset))
            }
          } else {
            PooledScores.scores(
              of: values, grid: grid, gridRow: gridRow, gridColumns: first ..< end,
              pooling: pooling, scoring: scoring, scratch: scratch, into: scores)
            for offset in 0 ..< end - first {
              // A NaN score (a NaN weight) keys above everything, so the pass reveals it.
              let score = scores[offset]
              keys[slot + offset] = score.isNaN ? .max : ScoreKey.key(score)
            }
          }
          if zerosFirst {
            PooledScores.scores(
              of: values, grid: grid, gridRow: gridRow, gridColumns: first ..< end,
              pooling: .max, scoring: ElementScoring(kind: .magnitude(squared: false)),
              scratch: scratch, into: scores)
            for offset in 0 ..< end - first where scores[offset] == 0 { keys[slot + offset] = 0 }
          }
          unit += end - first
        }
      }
    }
  }
}
