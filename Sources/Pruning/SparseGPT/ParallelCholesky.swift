// Cholesky factorisation in double precision, split over Bonsai's threads in fixed tiles:
// OpenBLAS runs single-threaded inside Bonsai, and the factor of an n = 11008 Hessian is
// a large part of SparseGPT's cost (n³/3 flops).
//
// Right-looking blocked Cholesky (Golub & Van Loan, Matrix Computations, §4.2.9): factor a
// diagonal tile (`dpotrf_`), solve the panel below it (`dtrsm`), update the trailing lower
// triangle (`dgemm`), tile by tile. Every tile is computed by the same calls whatever the
// thread count, so the factor is bit-identical for any number of threads.

/// Tiled, multi-threaded Cholesky factor of row-major matrices.
enum ParallelCholesky {
  /// Rows and columns per tile.
  static let tile = 256

  /// The tiles of `range`: consecutive ranges of `tile` indices (the last may be shorter).
  static func tiles(_ range: Range<Int>, size: Int = tile) -> [Range<Int>] {
    stride(from: range.lowerBound, to: range.upperBound, by: size).map {
      $0 ..< min($0 + size, range.upperBound)
    }
  }

  /// Factors the symmetric `a` in place as `L·Lᵀ`, `L` in its lower triangle (the strict
  /// upper triangle is overwritten with scratch values).
  ///
  /// - Returns: nil, or the first row whose pivot is not positive (`a` is not positive
  ///   definite).
  /// - Complexity: n³/3 flops, no extra memory.
  static func factor(_ a: MatrixView<Double>, threads: Int) -> Int? {
    let n = a.rows
    for panel in tiles(0 ..< n) {
      if let row = LAPACK.choleskyLower(a.block(rows: panel, columns: panel)) {
        return panel.lowerBound + row
      }
      let below = tiles(panel.upperBound ..< n)
      let diagonal = a.block(rows: panel, columns: panel)
      Parallel.forEach(tasks: below.count, threads: threads) { index in
        BLAS.solveLower(diagonal, .transposed, a.block(rows: below[index], columns: panel))
      }
      Parallel.forEach(tasks: below.count, threads: threads) { index in
        let rows = below[index]
        let trailing = panel.upperBound ..< rows.upperBound
        BLAS.multiply(
          a.block(rows: rows, columns: panel), .plain, a.block(rows: trailing, columns: panel),
          .transposed, into: a.block(rows: rows, columns: trailing), alpha: -1, beta: 1)
      }
    }
    return nil
  }
}
