// Scores of blocks — and of rows and columns under element metrics — from the element scores
// of `ElementScoring`: blocks tile the matrix from its top-left corner, edge blocks being
// smaller. Sums are taken in Double in row-major order, so a block's score does not depend
// on the thread count; one worker owns each band of block rows.

/// Pooling element scores over the blocks of a matrix.
enum PooledScores {
  /// How a block's element scores become its score.
  enum Pooling {
    /// The sum (rows and columns under element metrics).
    case sum
    /// The mean: the sum over the block's element count.
    case mean
    /// The largest element score.
    case max
  }

  /// Elements scored per call of the scoring, for rows longer than this.
  static let pieceSize = 4096

  /// The score of every `blockRows × blockColumns` block of `values`, a row-major
  /// `rows × columns` matrix, in row-major block order.
  static func scores<Scalar: PrunableScalar>(
    of values: UnsafeBufferPointer<Scalar>, rows: Int, columns: Int,
    blockRows: Int, blockColumns: Int, pooling: Pooling, scoring: ElementScoring, threads: Int
  ) -> [Float] {
    precondition(rows * columns == values.count && blockRows >= 1 && blockColumns >= 1)
    guard rows > 0, columns > 0 else { return [] }
    let grid = BlockGrid(
      rows: rows, columns: columns, blockRows: blockRows, blockColumns: blockColumns)
    var result = [Float](repeating: 0, count: grid.count)
    result.withUnsafeMutableBufferPointer { result in
      Parallel.forEachWorker(tasks: grid.gridRows, threads: threads) { _, bands in
        grid.withScratch(blocks: grid.gridColumns) { scratch in
          for band in bands {
            let first = band * grid.gridColumns
            scores(
              of: values, grid: grid, gridRow: band, gridColumns: 0 ..< grid.gridColumns,
              pooling: pooling, scoring: scoring, scratch: scratch,
              into: UnsafeMutableBufferPointer(rebasing: result[first ..< first + grid.gridColumns]))
          }
        }
      }
    }
    return result
  }

  /// The scores of blocks `gridColumns` of block row `gridRow`, written to `result`: each
  /// block's element scores summed in Double in row-major order (and their maximum kept).
  static func scores<Scalar: PrunableScalar>(
    of values: UnsafeBufferPointer<Scalar>, grid: BlockGrid, gridRow: Int,
    gridColumns: Range<Int>, pooling: Pooling, scoring: ElementScoring, scratch: Scratch,
    into result: UnsafeMutableBufferPointer<Float>
  ) {
    let (sums, maxima) = (scratch.sums, scratch.maxima)
    precondition(sums.count >= gridColumns.count && result.count >= gridColumns.count)
    for index in 0 ..< gridColumns.count {
      sums[index] = 0
      maxima[index] = -.infinity
    }
    let firstRow = gridRow * grid.blockRows
    let lastRow = min(grid.rows, firstRow + grid.blockRows)
    let firstColumn = gridColumns.lowerBound * grid.blockColumns
    let endColumn = min(grid.columns, gridColumns.upperBound * grid.blockColumns)
    for row in firstRow ..< lastRow {
      for start in stride(from: firstColumn, to: endColumn, by: pieceSize) {
        let end = min(endColumn, start + pieceSize)
        let range = row * grid.columns + start ..< row * grid.columns + end
        scoring.scores(
          of: UnsafeBufferPointer(rebasing: values[range]), at: range, into: scratch.scores)
        accumulate(
          UnsafeBufferPointer(rebasing: scratch.scores[0 ..< end - start]),
          firstColumn: start - firstColumn, blockColumns: grid.blockColumns, sums: sums,
          maxima: maxima)
      }
    }
    for (slot, gridColumn) in gridColumns.enumerated() {
      let width =
        min(grid.columns, (gridColumn + 1) * grid.blockColumns) - gridColumn * grid.blockColumns
      let count = Double((lastRow - firstRow) * width)
      result[slot] =
        switch pooling {
        case .sum: Float(sums[slot])
        case .mean: Float(sums[slot] / count)
        case .max: sums[slot].isNaN ? .nan : maxima[slot]
        }
    }
  }

  /// Adds the scores of one piece of a row, starting `firstColumn` columns into the first
  /// block, to the sums and maxima of the blocks they fall in.
  private static func accumulate(
    _ scores: UnsafeBufferPointer<Float>, firstColumn: Int, blockColumns: Int,
    sums: UnsafeMutableBufferPointer<Double>, maxima: UnsafeMutableBufferPointer<Float>
  ) {
    var column = firstColumn
    let end = firstColumn + scores.count
    // One division for the piece, not one per block: small blocks hold only a few scores.
    var block = column / blockColumns
    while column < end {
      let blockEnd = min(end, (block + 1) * blockColumns)
      var sum = sums[block]
      var maximum = maxima[block]
      for index in column - firstColumn ..< blockEnd - firstColumn {
        sum += Double(scores[index])
        maximum = Swift.max(maximum, scores[index])
      }
      sums[block] = sum
      maxima[block] = maximum
      column = blockEnd
      block += 1
    }
  }

  /// Per-block sums and maxima and a piece of element scores: a worker's scratch.
  struct Scratch {
    let sums: UnsafeMutableBufferPointer<Double>
    let maxima: UnsafeMutableBufferPointer<Float>
    let scores: UnsafeMutableBufferPointer<Float>
  }
}

/// How `blockRows × blockColumns` blocks tile a row-major `rows × columns` matrix from its
/// top-left corner, edge blocks being smaller.
struct BlockGrid {
  let rows: Int
  let columns: Int
  let blockRows: Int
  let blockColumns: Int

  /// Block rows.
  var gridRows: Int { (rows - 1) / blockRows + 1 }
  /// Block columns.
  var gridColumns: Int { (columns - 1) / blockColumns + 1 }
  /// Blocks.
  var count: Int { gridRows * gridColumns }

  /// Calls `body` with scratch for scoring up to `blocks` blocks of one block row.
  func withScratch<R>(blocks: Int, _ body: (PooledScores.Scratch) -> R) -> R {
    let pieceLength = min(blocks * blockColumns, columns, PooledScores.pieceSize)
    return withUnsafeTemporaryAllocation(of: Double.self, capacity: blocks) { sums in
      withUnsafeTemporaryAllocation(of: Float.self, capacity: blocks) { maxima in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: pieceLength) { scores in
          body(PooledScores.Scratch(sums: sums, maxima: maxima, scores: scores))
        }
      }
    }
  }
}
