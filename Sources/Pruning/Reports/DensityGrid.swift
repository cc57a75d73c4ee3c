/// Where a matrix's nonzero weights lie, down-sampled: a grid of cells laid over the matrix,
/// each holding the number of nonzero elements it covers. Blocks, pruned bands of rows or
/// columns and uneven layers show as light and dark cells.
///
/// Cell row `i` covers matrix rows `i·rows/cellRows ..< (i+1)·rows/cellRows` (and columns
/// alike), so cells differ in size by at most one row and one column.
public struct DensityGrid: Sendable, Hashable {
  /// The rows of the matrix.
  public let rows: Int
  /// The columns of the matrix.
  public let columns: Int
  /// The rows of the grid: at most the matrix's.
  public let cellRows: Int
  /// The columns of the grid: at most the matrix's.
  public let cellColumns: Int
  /// The nonzero count of each cell, row by row (`cellRows × cellColumns`).
  public let nonzero: [Int]

  /// A grid from its counts.
  init(rows: Int, columns: Int, cellRows: Int, cellColumns: Int, nonzero: [Int]) {
    precondition(nonzero.count == cellRows * cellColumns, "one count per cell")
    self.rows = rows
    self.columns = columns
    self.cellRows = cellRows
    self.cellColumns = cellColumns
    self.nonzero = nonzero
  }

  /// The matrix rows that cell row `cellRow` covers.
  public func rowRange(ofCellRow cellRow: Int) -> Range<Int> {
    precondition((0 ..< cellRows).contains(cellRow), "cell row \(cellRow) out of range")
    return Self.bound(cellRow, rows, cellRows) ..< Self.bound(cellRow + 1, rows, cellRows)
  }

  /// The matrix columns that cell column `cellColumn` covers.
  public func columnRange(ofCellColumn cellColumn: Int) -> Range<Int> {
    precondition((0 ..< cellColumns).contains(cellColumn), "cell column \(cellColumn) out of range")
    return Self.bound(cellColumn, columns, cellColumns)
      ..< Self.bound(cellColumn + 1, columns, cellColumns)
  }

  /// The fraction of the elements under a cell that are nonzero.
  public func density(cellRow: Int, cellColumn: Int) -> Double {
    let elements = rowRange(ofCellRow: cellRow).count * columnRange(ofCellColumn: cellColumn).count
    return Double(nonzero[cellRow * cellColumns + cellColumn]) / Double(elements)
  }

  /// The first matrix index of cell `cell` of `cells` laid over `length` indices.
  static func bound(_ cell: Int, _ length: Int, _ cells: Int) -> Int {
    cells == 0 ? 0 : cell * length / cells
  }
}
