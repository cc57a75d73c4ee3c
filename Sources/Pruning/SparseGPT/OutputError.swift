// How far pruning moved a linear layer's output on calibration data, measured with the
// Hessian of its inputs alone: ‖ΔW·X‖² = tr(ΔW·H·ΔWᵀ) with H = Xᵀ·X, relative to ‖W·X‖².
// Computed in double precision: for a reconstruction method ΔW·H·ΔWᵀ is small where W·H·Wᵀ
// is not, and single-precision products would be dominated by their rounding. Rows are
// taken in fixed bands (the weight's and the difference's rows stacked, one `dgemm` per
// band), and the bands' sums added in order: the same bits whatever the thread count.

/// The relative output error of a pruned layer.
public enum OutputError {
  /// Weight rows per band.
  static let bandRows = 64

  /// The relative output error
  /// ```
  /// sqrt(tr(ΔW·H·ΔWᵀ) / tr(W·H·Wᵀ)),   ΔW = W − W_pruned
  /// ```
  /// of `pruned` against `original`, both row-major [rows, in], for the Hessian `hessian`
  /// [in, in] (row-major, symmetric; F32 or F64 through its Double values). 0 when W·H·Wᵀ
  /// has a zero trace.
  ///
  /// - Throws: `SparseGPTError.hessianShape` when the shapes do not fit,
  ///   `.nonFiniteHessian` for NaN or ±Inf in the Hessian; `.pruning(.nonFiniteWeights)`
  ///   for NaN or ±Inf weights.
  /// - Complexity: 2·rows·in² flops in double precision; extra memory 32·`bandRows`·in
  ///   bytes per thread.
  public static func relative(
    original: Span<Float>, pruned: Span<Float>, shape: [Int], hessian: Span<Double>,
    name: String, threadCount: Int? = nil
  ) throws(SparseGPTError) -> Double {
    guard shape.count == 2, WeightTensor.elementCount(of: shape) == original.count,
      pruned.count == original.count
    else {
      throw .pruning(.shapeMismatch(name: name, shape: shape, valueCount: pruned.count))
    }
    let (rows, n) = (shape[0], shape[1])
    guard n.multipliedReportingOverflow(by: n) == (hessian.count, false) else {
      throw .hessianShape(name: name, shape: [hessian.count], expected: [n, n])
    }
    let threads = max(1, threadCount ?? Parallel.defaultThreadCount)
    let bands = ParallelCholesky.tiles(0 ..< rows, size: bandRows)
    var sums = [(change: Double, total: Double, nonFinite: Int)](
      repeating: (0, 0, 0), count: bands.count)
    let hessianNonFinite = hessian.withUnsafeBufferPointer { h in
      h.reduce(0) { $0 + ($1.isFinite ? 0 : 1) }
    }
    guard hessianNonFinite == 0 else {
      throw .nonFiniteHessian(name: name, count: hessianNonFinite)
    }
    original.withUnsafeBufferPointer { original in
      pruned.withUnsafeBufferPointer { pruned in
        hessian.withUnsafeBufferPointer { h in
          let hMatrix = MatrixView(UnsafeMutableBufferPointer(mutating: h), rows: n, columns: n)
          sums.withUnsafeMutableBufferPointer { sums in
            Parallel.forEachWorker(tasks: bands.count, threads: threads) { _, owned in
              let stacked = UnsafeMutableBufferPointer<Double>.allocate(capacity: 2 * bandRows * n)
              let product = UnsafeMutableBufferPointer<Double>.allocate(capacity: 2 * bandRows * n)
              defer {
                stacked.deallocate()
                product.deallocate()
              }
              for band in owned {
                sums[band] = bandSums(
                  bands[band], original, pruned, hMatrix, n: n, stacked: stacked,
                  product: product)
              }
            }
          }
        }
      }
    }
    let nonFinite = sums.reduce(0) { $0 + $1.nonFinite }
    guard nonFinite == 0 else {
      throw .pruning(.nonFiniteWeights(name: name, count: nonFinite))
    }
    let change = sums.reduce(0) { $0 + $1.change }
    let total = sums.reduce(0) { $0 + $1.total }
    return total > 0 ? (max(change, 0) / total).squareRoot() : 0
  }

  /// Widens a single-precision Hessian and measures with it; see the Double version.
  public static func relative(
    original: Span<Float>, pruned: Span<Float>, shape: [Int], hessian: Span<Float>,
    name: String, threadCount: Int? = nil
  ) throws(SparseGPTError) -> Double {
    let widened = hessian.withUnsafeBufferPointer { $0.map(Double.init) }
    return try relative(
      original: original, pruned: pruned, shape: shape, hessian: widened.span, name: name,
      threadCount: threadCount)
  }

  /// tr(ΔW·H·ΔWᵀ) and tr(W·H·Wᵀ) over the rows `rows`, and their non-finite weights.
  private static func bandSums(
    _ rows: Range<Int>, _ original: UnsafeBufferPointer<Float>,
    _ pruned: UnsafeBufferPointer<Float>, _ h: MatrixView<Double>, n: Int,
    stacked: UnsafeMutableBufferPointer<Double>, product: UnsafeMutableBufferPointer<Double>
  ) -> (change: Double, total: Double, nonFinite: Int) {
    let count = rows.count
    var nonFinite = 0
    for (slot, row) in rows.enumerated() {
      for column in 0 ..< n {
        let before = original[row * n + column]
        let after = pruned[row * n + column]
        if !before.isFinite || !after.isFinite { nonFinite += 1 }
        stacked[slot * n + column] = Double(before)
        stacked[(count + slot) * n + column] = Double(before) - Double(after)
      }
    }
    guard nonFinite == 0 else { return (0, 0, nonFinite) }
    let a = MatrixView(stacked, rows: 2 * count, columns: n)
    let p = MatrixView(product, rows: 2 * count, columns: n)
    BLAS.multiply(a, .plain, h, .plain, into: p)
    var total = 0.0
    var change = 0.0
    for index in 0 ..< count * n { total += stacked[index] * product[index] }
    for index in count * n ..< 2 * count * n { change += stacked[index] * product[index] }
    return (change, total, 0)
  }
}
