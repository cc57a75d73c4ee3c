// Row and column norms of a row-major [rows, columns] matrix.
//
// Rows are contiguous: one `cblas_snrm2` call per row (L2), or Bonsai's own sum of |x| in
// Double (L1: OpenBLAS's `sasum` sums in Float, at half the memory's speed, and does not
// run faster on two threads than on one; see `bonsai_absolute_sum_f32`). Columns are strided
// by the row length, and one strided BLAS call per column touches a new cache line (and
// often a new page) per element: ~40× slower than the rows. So columns are scored a band
// of rows at a time, reading the rows in order: the C kernel adds each row's squares (or
// absolute values), widened to Double, to the band's column totals, which stay in cache.
// (Not `cblas_dgemv`: see `BLAS` for why.) Bands are fixed by the shape alone and summed in
// order, in Double, so the scores do not depend on the thread count.

/// Per-unit scores of rows, columns and blocks.
enum UnitScores {
  /// Rows are split into this many bands at most when scoring columns.
  static let columnBands = 8
  /// The scratch block that `Float16` and `BFloat16` rows are widened into to score columns
  /// holds about this many floats.
  static let columnBlockFloats = 1 << 16

  /// The score of every unit of `layout` (rows, columns or blocks) of `values`: a norm
  /// for rows (L2 through CBLAS, L1 by the C kernel) and columns under the magnitude
  /// metrics, one LCG step per unit for random scores, and otherwise the pooled element
  /// scores of `scoring` (the sum for rows and columns, the block's pooling for blocks).
  static func scores<Scalar: PrunableScalar>(
    of values: UnsafeBufferPointer<Scalar>, layout: UnitLayout, metric: ImportanceMetric,
    scoring: ElementScoring, threads: Int
  ) -> [Float] {
    let (rows, columns) = (layout.rows, layout.columns)
    precondition(rows * columns == values.count)
    if case .random(let seed) = metric {
      return (0 ..< layout.unitCount).map { RandomScores.unitScore(seed: seed, unit: $0) }
    }
    let norm: NormKind? =
      switch metric {
      case .l1Magnitude: .l1
      case .l2Magnitude, .taylorProxy: .l2
      default: nil
      }
    switch (layout.units, norm) {
    case (.rows, let kind?):
      return rowNorms(values, rows: rows, columns: columns, kind: kind, threads: threads)
    case (.columns, let kind?):
      return columnNorms(values, rows: rows, columns: columns, kind: kind, threads: threads)
    default:
      let (shape, pooling) = pooledShape(layout)
      return PooledScores.scores(
        of: values, rows: rows, columns: columns, blockRows: shape.rows,
        blockColumns: shape.columns, pooling: pooling, scoring: scoring, threads: threads)
    }
  }

  /// Which units of `layout` (rows, columns or blocks) hold only zeros: the units an earlier
  /// round pruned.
  static func zeroUnits<Scalar: PrunableScalar>(
    of values: UnsafeBufferPointer<Scalar>, layout: UnitLayout, threads: Int
  ) -> [Bool] {
    let (shape, _) = pooledShape(layout)
    return PooledScores.scores(
      of: values, rows: layout.rows, columns: layout.columns, blockRows: shape.rows,
      blockColumns: shape.columns, pooling: .max,
      scoring: ElementScoring(kind: .magnitude(squared: false)), threads: threads
    ).map { $0 == 0 }
  }

  /// The block shape that a layout's units tile the matrix with, and how its element scores
  /// pool into a unit score.
  private static func pooledShape(_ layout: UnitLayout)
    -> (shape: (rows: Int, columns: Int), pooling: PooledScores.Pooling)
  {
    switch layout.units {
    case .rows: ((1, layout.columns), .sum)
    case .columns: ((layout.rows, 1), .sum)
    case .blocks(let block): ((block.rows, block.columns), block.pooling == .mean ? .mean : .max)
    case .elements, .groups: preconditionFailure("elements are not pooled")
    }
  }

  /// One norm per row (`cblas_snrm2`, or the kernel's Σ |x| in Double rounded once), on the
  /// rows in place (`Float`) or widened into scratch. Each worker reads one contiguous band
  /// of rows (rows dealt out in turn made two threads slower than one).
  static func rowNorms<Scalar: PrunableScalar>(
    _ values: UnsafeBufferPointer<Scalar>, rows: Int, columns: Int, kind: NormKind,
    threads: Int
  ) -> [Float] {
    var norms = [Float](repeating: 0, count: rows)
    norms.withUnsafeMutableBufferPointer { norms in
      Parallel.forEachBand(of: rows, threads: threads) { band in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: columns) { scratch in
          for row in band {
            let rowValues = floats(values, rows: row ..< row + 1, columns: columns, scratch)
            norms[row] =
              switch kind {
              case .l1: Float(Kernels.absoluteSum(rowValues))
              case .l2: BLAS.euclideanNorm(.row(0, of: rowValues, columns: columns))
              }
          }
        }
      }
    }
    return norms
  }

  /// Column norms from the column sums of squared (or absolute) rows.
  ///
  /// Squares are taken and summed in Double: a Float square overflows above |w| ≈ 1.8e19
  /// and underflows below ≈ 1e-23, which would tie whole columns at +Inf or 0. Float rows
  /// are summed where they lie; Float16 and BFloat16 rows are widened into a small scratch
  /// block, in pieces of columns when a row is longer than the block; each column's sum
  /// adds the same rows in the same order either way.
  static func columnNorms<Scalar: PrunableScalar>(
    _ values: UnsafeBufferPointer<Scalar>, rows: Int, columns: Int, kind: NormKind,
    threads: Int
  ) -> [Float] {
    guard columns > 0 else { return [] }
    let bands = min(columnBands, rows)
    let pieceWidth = min(columns, columnBlockFloats)
    let blockRows = max(1, min(rows, columnBlockFloats / pieceWidth))
    var partials = [[Double]](repeating: [], count: bands)
    partials.withUnsafeMutableBufferPointer { partials in
      Parallel.forEach(tasks: bands, threads: threads) { band in
        var total = [Double](repeating: 0, count: columns)
        let bandRows = band * rows / bands ..< (band + 1) * rows / bands
        if Scalar.self == Float.self {
          // Float rows are summed where they lie, the band in one call.
          let floats = UnsafeRawBufferPointer(values).assumingMemoryBound(to: Float.self)
          total.withUnsafeMutableBufferPointer { total in
            Kernels.addColumnSums(
              of: UnsafeBufferPointer(
                rebasing: floats[bandRows.lowerBound * columns ..< bandRows.upperBound * columns]),
              columns: columns, absolute: kind == .l1, into: total)
          }
          partials[band] = total
          return
        }
        withUnsafeTemporaryAllocation(of: Float.self, capacity: blockRows * pieceWidth) { scratch in
          total.withUnsafeMutableBufferPointer { total in
            for first in stride(from: bandRows.lowerBound, to: bandRows.upperBound, by: blockRows) {
              let count = min(blockRows, bandRows.upperBound - first)
              for firstColumn in stride(from: 0, to: columns, by: pieceWidth) {
                let width = min(pieceWidth, columns - firstColumn)
                for row in first ..< first + count {
                  let start = row * columns + firstColumn
                  for offset in 0 ..< width {
                    scratch[(row - first) * width + offset] = values[start + offset].widened
                  }
                }
                Kernels.addColumnSums(
                  of: UnsafeBufferPointer(rebasing: scratch[0 ..< count * width]), columns: width,
                  absolute: kind == .l1,
                  into: UnsafeMutableBufferPointer(rebasing: total[firstColumn ..< firstColumn + width]))
              }
            }
          }
        }
        partials[band] = total
      }
    }
    return (0 ..< columns).map { column in
      let sum = partials.reduce(0) { $0 + $1[column] }
      return Float(kind == .l2 ? sum.squareRoot() : sum)
    }
  }

  /// Rows `rows` of the matrix as floats: a view of `values` itself when they are `Float`,
  /// otherwise widened into `scratch`.
  private static func floats<Scalar: PrunableScalar>(
    _ values: UnsafeBufferPointer<Scalar>, rows: Range<Int>, columns: Int,
    _ scratch: UnsafeMutableBufferPointer<Float>
  ) -> UnsafeBufferPointer<Float> {
    let range = rows.lowerBound * columns ..< rows.upperBound * columns
    if Scalar.self == Float.self {
      let floats = UnsafeRawBufferPointer(values).assumingMemoryBound(to: Float.self)
      return UnsafeBufferPointer(rebasing: floats[range])
    }
    for (slot, index) in range.enumerated() { scratch[slot] = values[index].widened }
    return UnsafeBufferPointer(rebasing: scratch[0 ..< range.count])
  }
}
