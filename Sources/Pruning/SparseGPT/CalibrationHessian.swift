// The Hessian of a linear layer's reconstruction error, H = Xᵀ·X = Σ x·xᵀ over calibration
// inputs x (the rows of X [samples, in]), as SparseGPT needs it. Accumulated in double
// precision (`dsyrk` for the diagonal tiles, `dgemm` beside them): a sum over hundreds of
// thousands of tokens in single precision would lose the small eigenvalues the pruning
// depends on. Samples are widened to Double a slab at a time; column tiles are shared out
// over Bonsai's threads and summed in a fixed order, so the result does not depend on the
// thread count.

/// Hessians of layer inputs for SparseGPT and the relative output error.
public enum CalibrationHessian {
  /// Samples widened to Double at a time.
  static let slabRows = 1024

  /// H = Xᵀ·X for calibration inputs `activations`, row-major [samples, in]: the full
  /// symmetric in × in matrix, row-major.
  ///
  /// - Parameters:
  ///   - activations: the inputs X of the layer, one row per token.
  ///   - shape: `[samples, in]`, samples ≥ 1.
  ///   - name: the weight the inputs belong to, for errors.
  ///   - threadCount: threads to use (default all); the result does not depend on it.
  /// - Throws: `SparseGPTError.hessianShape` for a shape that is not `[samples ≥ 1, in ≥ 1]`
  ///   or does not hold `activations.count` values; `.nonFiniteHessian` for NaN or ±Inf.
  /// - Complexity: samples·in² flops in double precision; extra memory 8·in² bytes (the
  ///   result) and 8·`slabRows`·in bytes.
  public static func hessian(
    ofActivations activations: Span<Float>, shape: [Int], name: String,
    threadCount: Int? = nil
  ) throws(SparseGPTError) -> [Double] {
    guard shape.count == 2, shape[0] >= 1, shape[1] >= 1,
      WeightTensor.elementCount(of: shape) == activations.count,
      shape[1].multipliedReportingOverflow(by: shape[1]).overflow == false
    else {
      throw .hessianShape(name: name, shape: shape, expected: [-1, shape.last ?? -1])
    }
    let (samples, n) = (shape[0], shape[1])
    let threads = max(1, threadCount ?? Parallel.defaultThreadCount)
    var hessian = [Double](repeating: 0, count: n * n)
    let slab = UnsafeMutableBufferPointer<Double>.allocate(capacity: min(samples, slabRows) * n)
    defer { slab.deallocate() }
    var nonFinite = 0
    activations.withUnsafeBufferPointer { x in
      hessian.withUnsafeMutableBufferPointer { h in
        let result = MatrixView(h, rows: n, columns: n)
        for slabSamples in ParallelCholesky.tiles(0 ..< samples, size: slabRows) {
          for (slot, index) in (slabSamples.lowerBound * n ..< slabSamples.upperBound * n).enumerated() {
            let value = x[index]
            if !value.isFinite { nonFinite += 1 }
            slab[slot] = Double(value)
          }
          let rows = MatrixView(slab, rows: slabSamples.count, columns: n)
          let columnTiles = ParallelCholesky.tiles(0 ..< n)
          Parallel.forEach(tasks: columnTiles.count, threads: threads) { index in
            let tile = columnTiles[index]
            let before = 0 ..< tile.lowerBound
            BLAS.lowerGram(
              of: rows.block(rows: 0 ..< rows.rows, columns: tile),
              into: result.block(rows: tile, columns: tile), beta: 1)
            BLAS.multiply(
              rows.block(rows: 0 ..< rows.rows, columns: tile), .transposed,
              rows.block(rows: 0 ..< rows.rows, columns: before), .plain,
              into: result.block(rows: tile, columns: before), beta: 1)
          }
        }
        for row in 0 ..< n {
          for column in row + 1 ..< n { h[row * n + column] = h[column * n + row] }
        }
      }
    }
    guard nonFinite == 0 else { throw .nonFiniteHessian(name: name, count: nonFinite) }
    return hessian
  }
}
