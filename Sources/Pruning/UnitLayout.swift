/// What the units of one pruning call are — elements, rows or columns of a tensor — and how
/// a mask over units becomes a mask over elements.
struct UnitLayout {
  /// The granularity the units come from.
  let granularity: PruningGranularity
  /// Rows and columns of the tensor seen as a matrix (a non-matrix is one row).
  let rows: Int
  let columns: Int

  /// The layout of `config.granularity` over a tensor, after checking the tensor can take it.
  ///
  /// - Throws: `shapeMismatch`, `emptyTensor`, `notAMatrix`, `minNonzeroExceedsCount`.
  init(shape: [Int], valueCount: Int, name: String, config: PruningConfig) throws(PruningError) {
    guard WeightTensor.elementCount(of: shape) == valueCount else {
      throw .shapeMismatch(name: name, shape: shape, valueCount: valueCount)
    }
    guard valueCount > 0 else { throw .emptyTensor(name: name) }
    if config.granularity != .unstructured && shape.count != 2 {
      throw .notAMatrix(name: name, shape: shape, granularity: config.granularity.name)
    }
    guard config.minNonzero <= valueCount else {
      throw .minNonzeroExceedsCount(name: name, minNonzero: config.minNonzero, count: valueCount)
    }
    granularity = config.granularity
    (rows, columns) = shape.count == 2 ? (shape[0], shape[1]) : (1, valueCount)
  }

  /// The number of units.
  var unitCount: Int {
    switch granularity {
    case .unstructured: rows * columns
    case .rows: rows
    case .columns: columns
    }
  }

  /// The number of elements in one unit.
  var unitSize: Int {
    switch granularity {
    case .unstructured: 1
    case .rows: columns
    case .columns: rows
    }
  }

  /// The element mask of a unit mask: a kept row keeps its whole row, a kept column its
  /// element in every row.
  func elementMask(from units: PruningMask) -> PruningMask {
    switch granularity {
    case .unstructured:
      return units
    case .rows:
      var mask = PruningMask(count: rows * columns, allKept: false)
      for row in 0 ..< rows where units[row] {
        mask.setKept(row * columns ..< (row + 1) * columns)
      }
      return mask
    case .columns:
      var mask = PruningMask(count: rows * columns, allKept: false)
      for row in 0 ..< rows { mask.setKept(copying: units, at: row * columns) }
      return mask
    }
  }
}
