/// What the units of one pruning call are — elements, rows, columns, blocks, or elements
/// ranked within groups (N:M patterns, rows under per-row scope) — and how a mask over units
/// becomes a mask over elements.
struct UnitLayout {
  /// What one unit is and which units are ranked together.
  enum Units: Equatable {
    /// Single weights ranked across the tensor.
    case elements
    /// Whole rows.
    case rows
    /// Whole columns.
    case columns
    /// Blocks tiling the matrix.
    case blocks(BlockShape)
    /// Single weights ranked within groups of `size` consecutive weights along each row;
    /// `kept` survive in each (N:M), or nil when `PruningConfig` decides per row.
    case groups(size: Int, kept: Int?)
  }

  /// What the units are.
  let units: Units
  /// Rows and columns of the tensor seen as a matrix (a non-matrix is one row).
  let rows: Int
  let columns: Int

  /// The layout of `config` over a tensor, after checking the tensor can take it.
  ///
  /// - Throws: `shapeMismatch`, `emptyTensor`, `notAMatrix`, `rowNotDivisible`,
  ///   `minNonzeroExceedsCount`.
  init(shape: [Int], valueCount: Int, name: String, config: PruningConfig) throws(PruningError) {
    guard WeightTensor.elementCount(of: shape) == valueCount else {
      throw .shapeMismatch(name: name, shape: shape, valueCount: valueCount)
    }
    guard valueCount > 0 else { throw .emptyTensor(name: name) }
    if (config.granularity.needsMatrix || config.scope == .perRow) && shape.count != 2 {
      let method = config.scope == .perRow ? "per-row" : config.granularity.name
      throw .notAMatrix(name: name, shape: shape, granularity: method)
    }
    guard config.minNonzero <= valueCount else {
      throw .minNonzeroExceedsCount(name: name, minNonzero: config.minNonzero, count: valueCount)
    }
    (rows, columns) = shape.count == 2 ? (shape[0], shape[1]) : (1, valueCount)
    switch config.granularity {
    case .unstructured: units = config.scope == .perRow ? .groups(size: columns, kept: nil) : .elements
    case .rows: units = .rows
    case .columns: units = .columns
    case .blocks(let shape):
      // A 1×1 block's mean or maximum is its element's score: single weights, ranked on the
      // element path. (Random scores differ: a block draws one LCG step from seed + its
      // index, an element the next step of one stream.)
      let random = if case .random = config.metric { true } else { false }
      units = shape.rows == 1 && shape.columns == 1 && !random ? .elements : .blocks(shape)
    case .semiStructured(let keep, let group):
      guard columns % group == 0 else {
        throw .rowNotDivisible(name: name, columns: columns, group: group)
      }
      units = .groups(size: group, kept: keep)
    }
  }

  /// The number of units ranked together: of the tensor, or of one group.
  var unitCount: Int {
    switch units {
    case .elements: rows * columns
    case .rows: rows
    case .columns: columns
    case .blocks(let shape): blockGrid(shape).count
    case .groups(let size, _): size
    }
  }

  /// The number of elements of the smallest unit, for the `minNonzero` cap (for per-row
  /// groups, the number of rows: each row prunes the same count).
  var unitSize: Int {
    switch units {
    case .elements: 1
    case .rows: columns
    case .columns: rows
    case .blocks(let shape):
      (rows % shape.rows == 0 ? min(rows, shape.rows) : rows % shape.rows)
        * (columns % shape.columns == 0 ? min(columns, shape.columns) : columns % shape.columns)
    case .groups: rows
    }
  }

  /// How blocks of `shape` tile the matrix.
  func blockGrid(_ shape: BlockShape) -> BlockGrid {
    BlockGrid(rows: rows, columns: columns, blockRows: shape.rows, blockColumns: shape.columns)
  }

  /// The element mask of a mask over rows, columns or blocks: a kept unit keeps all its
  /// elements.
  func elementMask(from kept: PruningMask) -> PruningMask {
    var mask = PruningMask(uncheckedCount: rows * columns, allKept: false)
    switch units {
    case .elements, .groups:
      return kept
    case .rows:
      for row in 0 ..< rows where kept[row] {
        mask.setKept(row * columns ..< (row + 1) * columns)
      }
    case .columns:
      for row in 0 ..< rows { mask.setKept(copying: kept, at: row * columns) }
    case .blocks(let shape):
      let grid = blockGrid(shape)
      for row in 0 ..< rows {
        let gridRow = row / shape.rows
        for gridColumn in 0 ..< grid.gridColumns
        where kept[gridRow * grid.gridColumns + gridColumn] {
          let first = row * columns + gridColumn * shape.columns
          mask.setKept(first ..< row * columns + min(columns, (gridColumn + 1) * shape.columns))
        }
      }
    }
    return mask
  }
}
