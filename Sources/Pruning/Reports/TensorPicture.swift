// What a report draws of one pruned tensor: where its nonzero weights lie (a down-sampled
// density grid, the fraction kept per row and per column, the exact mask of a corner) and
// how |w| is distributed. Everything is gathered in one pass over the weights, row by row,
// with memory for the grid, one count per column and the histogram's bins — never a copy of
// the tensor — so that it runs on a memory-mapped checkpoint as it streams.

/// A picture of one tensor viewed as a matrix: its mask's structure and |w|'s distribution.
public struct TensorPicture: Sendable, Hashable {
  /// Where the nonzero weights lie, down-sampled.
  public let grid: DensityGrid
  /// How many rows keep what fraction of their weights.
  public let rowDensities: DensityProfile
  /// How many columns keep what fraction of their weights.
  public let columnDensities: DensityProfile
  /// The exact mask of the top-left corner.
  public let patch: MaskPatch
  /// The distribution of |w|.
  public let histogram: MagnitudeHistogram

  /// The picture of `weights`, row-major `rows × columns` (a vector is one row; a tensor of
  /// higher rank, its first dimension by the product of the others).
  ///
  /// - Parameters:
  ///   - resolution: the most cells along each side of the grid (default 64); a side with
  ///     fewer elements gets one cell per element.
  /// - Complexity: one pass over the weights; O(columns + resolution²) memory.
  public init<Scalar: PrunableScalar>(
    of weights: Span<Scalar>, rows: Int, columns: Int, resolution: Int = 64
  ) {
    precondition(rows >= 0 && columns >= 0 && rows * columns == weights.count, "shape and count differ")
    precondition(resolution > 0, "the grid needs at least one cell per side")
    let drawing = Drawing(rows: rows, columns: columns, resolution: resolution)
    // The operation only reads the buffer.
    self = weights.withUnsafeBufferPointer { drawing.runSpecialized(.init(mutating: $0)) }
  }

  /// A picture from its parts.
  private init(
    grid: DensityGrid, rowDensities: DensityProfile, columnDensities: DensityProfile,
    patch: MaskPatch, histogram: MagnitudeHistogram
  ) {
    self.grid = grid
    self.rowDensities = rowDensities
    self.columnDensities = columnDensities
    self.patch = patch
    self.histogram = histogram
  }

  /// The one pass, as an operation that runs specialised for each scalar type.
  private struct Drawing: ScalarOperation {
    let rows: Int
    let columns: Int
    let resolution: Int

    func run<Scalar: PrunableScalar>(_ values: UnsafeMutableBufferPointer<Scalar>) -> TensorPicture {
      let (cellRows, cellColumns) = (min(rows, resolution), min(columns, resolution))
      let columnStarts = (0 ... cellColumns).map { DensityGrid.bound($0, columns, cellColumns) }
      var cells = [Int](repeating: 0, count: cellRows * cellColumns)
      var columnNonzero = [Int](repeating: 0, count: columns)
      var rowNonzero = [Int](repeating: 0, count: rows)
      var words = [UInt64](repeating: 0, count: min(rows, MaskPatch.maximumRows))
      let patchColumns = min(columns, MaskPatch.maximumColumns)
      var tally = MagnitudeHistogram.Tally()
      tally.counting { bins in
        columnNonzero.withUnsafeMutableBufferPointer { columnNonzero in
          var cellRow = 0
          for row in 0 ..< rows {
            while row >= DensityGrid.bound(cellRow + 1, rows, cellRows) { cellRow += 1 }
            let first = row * columns
            let cellBase = cellRow * cellColumns
            for cell in 0 ..< cellColumns {
              var nonzero = 0
              for column in columnStarts[cell] ..< columnStarts[cell + 1] {
                let bits = values[first + column].widened.bitPattern & MagnitudeHistogram.Tally.magnitude
                bins.add(magnitudeBits: bits)
                let kept = bits == 0 ? 0 : 1
                nonzero &+= kept
                columnNonzero[column] &+= kept
              }
              cells[cellBase + cell] &+= nonzero
              rowNonzero[row] &+= nonzero
            }
            if row < words.count {
              for column in 0 ..< patchColumns where values[first + column].widened != 0 {
                words[row] |= 1 << UInt64(column)
              }
            }
          }
        }
      }
      let zeros = rows * columns - rowNonzero.reduce(0, +)
      return TensorPicture(
        grid: DensityGrid(
          rows: rows, columns: columns, cellRows: cellRows, cellColumns: cellColumns,
          nonzero: cells),
        rowDensities: DensityProfile(nonzeroCounts: rowNonzero, length: columns),
        columnDensities: DensityProfile(nonzeroCounts: columnNonzero, length: rows),
        patch: MaskPatch(rows: words.count, columns: patchColumns, words: words),
        histogram: tally.histogram(zeros: zeros))
    }
  }
}
