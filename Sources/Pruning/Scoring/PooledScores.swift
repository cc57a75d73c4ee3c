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
    let gridRows = (rows - 1) / blockRows + 1
    let gridColumns = (columns - 1) / blockColumns + 1
    var result = [Float](repeating: 0, count: gridRows * gridColumns)
    result.withUnsafeMutableBufferPointer { result in
      Parallel.forEachWorker(tasks: gridRows, threads: threads) { _, bands in
        var sums = [Double](repeating: 0, count: gridColumns)
        var maxima = [Float](repeating: 0, count: gridColumns)
        withUnsafeTemporaryAllocation(of: Float.self, capacity: min(columns, pieceSize)) {
          scores in
          for band in bands {
            let firstRow = band * blockRows
            let lastRow = min(rows, firstRow + blockRows)
            for index in 0 ..< gridColumns {
              sums[index] = 0
              maxima[index] = -.infinity
            }
            for row in firstRow ..< lastRow {
              for start in stride(from: 0, to: columns, by: pieceSize) {
                let end = min(columns, start + pieceSize)
                let range = row * columns + start ..< row * columns + end
                scoring.scores(
                  of: UnsafeBufferPointer(rebasing: values[range]), at: range, into: scores)
                accumulate(
                  UnsafeBufferPointer(rebasing: scores[0 ..< end - start]), firstColumn: start,
                  blockColumns: blockColumns, sums: &sums, maxima: &maxima)
              }
            }
            for gridColumn in 0 ..< gridColumns {
              let width = min(columns, (gridColumn + 1) * blockColumns) - gridColumn * blockColumns
              let count = Double((lastRow - firstRow) * width)
              result[band * gridColumns + gridColumn] =
                switch pooling {
                case .sum: Float(sums[gridColumn])
                case .mean: Float(sums[gridColumn] / count)
                case .max: sums[gridColumn].isNaN ? .nan : maxima[gridColumn]
                }
            }
          }
        }
      }
    }
    return result
  }

  /// Adds the scores of one piece of a row, starting at `firstColumn`, to the sums and
  /// maxima of the blocks they fall in.
  private static func accumulate(
    _ scores: UnsafeBufferPointer<Float>, firstColumn: Int, blockColumns: Int,
    sums: inout [Double], maxima: inout [Float]
  ) {
    var column = firstColumn
    let end = firstColumn + scores.count
    while column < end {
      let block = column / blockColumns
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
    }
  }
}
