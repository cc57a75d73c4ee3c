// An independent, unblocked SparseGPT in double precision, written from the paper
// (Frantar & Alistarh 2023, Algorithm 1) the slow, obvious way: the dampened Hessian is
// inverted by Gauss–Jordan elimination, the inverse factored by a textbook Cholesky, and
// every column's update is applied to all later columns at once (no lazy blocks, no GEMM,
// no reversal trick). The mask follows Bonsai's exact-count rule (per-block quotas).

/// Brute-force references for SparseGPT, its Hessian and the relative output error.
public enum ReferenceSparseGPT {
  /// How the reference chooses the pruned weights.
  public enum Selection: Sendable {
    /// Per-block quotas of an exact tensor count `total`.
    case tensor(sparsity: Double, total: Int)
    /// Per-block quotas of an exact per-row count `total`.
    case perRow(sparsity: Double, total: Int)
    /// `keep` of every `group` along a row.
    case pattern(keep: Int, group: Int)
  }

  /// The upper factor U of (H' + λI)⁻¹ = UᵀU, where H' is H with dead diagonals set to 1,
  /// and the dead inputs.
  public static func inverseFactor(_ h: [Double], n: Int, dampening: Double)
    -> (upper: [Double], dead: [Int])
  {
    var a = h
    let dead = (0 ..< n).filter { a[$0 * n + $0] == 0 }
    for i in dead { a[i * n + i] = 1 }
    let lambda = dampening * (0 ..< n).reduce(0) { $0 + a[$1 * n + $1] } / Double(n)
    for i in 0 ..< n { a[i * n + i] += lambda }
    let inverse = gaussJordanInverse(a, n: n)
    // Upper Cholesky: inverse = Uᵀ·U.
    var u = [Double](repeating: 0, count: n * n)
    for i in 0 ..< n {
      var diagonal = inverse[i * n + i]
      for k in 0 ..< i { diagonal -= u[k * n + i] * u[k * n + i] }
      u[i * n + i] = diagonal.squareRoot()
      for j in i + 1 ..< n {
        var value = inverse[i * n + j]
        for k in 0 ..< i { value -= u[k * n + i] * u[k * n + j] }
        u[i * n + j] = value / u[i * n + i]
      }
    }
    return (u, dead)
  }

  /// Prunes `w` [rows, n] with the Hessian `h`; returns the new weights and the kept mask.
  public static func prune(
    _ w: [Float], rows: Int, n: Int, hessian h: [Double], selection: Selection,
    blockSize: Int, dampening: Double
  ) -> (weights: [Double], kept: [Bool]) {
    let (u, dead) = inverseFactor(h, n: n, dampening: dampening)
    var x = w.map(Double.init)
    for i in dead { for r in 0 ..< rows { x[r * n + i] = 0 } }
    var kept = [Bool](repeating: true, count: rows * n)
    for b0 in stride(from: 0, to: n, by: blockSize) {
      let b1 = min(b0 + blockSize, n)
      func score(_ r: Int, _ c: Int) -> Double {
        x[r * n + c] * x[r * n + c] / (u[c * n + c] * u[c * n + c])
      }
      func target(_ height: Int, _ s: Double, _ total: Int, _ c: Int) -> Int {
        min(Int((s * Double(height * c)).rounded(.down)), total)
      }
      switch selection {
      case .tensor(let s, let total):
        let q = target(rows, s, total, b1) - target(rows, s, total, b0)
        let order = (0 ..< rows).flatMap { r in (b0 ..< b1).map { (r, $0) } }
          .sorted { (score($0.0, $0.1), $0.0 * n + $0.1) < (score($1.0, $1.1), $1.0 * n + $1.1) }
        for (r, c) in order.prefix(q) { kept[r * n + c] = false }
      case .perRow(let s, let total):
        let q = target(1, s, total, b1) - target(1, s, total, b0)
        for r in 0 ..< rows {
          let order = (b0 ..< b1).sorted { (score(r, $0), $0) < (score(r, $1), $1) }
          for c in order.prefix(q) { kept[r * n + c] = false }
        }
      case .pattern: break
      }
      for c in b0 ..< b1 {
        for r in 0 ..< rows {
          if case .pattern(let keep, let group) = selection, (c - b0) % group == 0 {
            let order = (c ..< c + group).sorted { (score(r, $0), $0) < (score(r, $1), $1) }
            for p in order.prefix(group - keep) { kept[r * n + p] = false }
          }
          guard !kept[r * n + c] else { continue }
          let error = x[r * n + c] / u[c * n + c]
          for j in c ..< n { x[r * n + j] -= error * u[c * n + j] }
          x[r * n + c] = 0
        }
      }
    }
    return (x, kept)
  }

  /// Xᵀ·X for `x` [samples, n].
  public static func hessian(_ x: [Float], samples: Int, n: Int) -> [Double] {
    var h = [Double](repeating: 0, count: n * n)
    for s in 0 ..< samples {
      for i in 0 ..< n {
        for j in 0 ..< n { h[i * n + j] += Double(x[s * n + i]) * Double(x[s * n + j]) }
      }
    }
    return h
  }

  /// sqrt(tr(ΔW·H·ΔWᵀ) / tr(W·H·Wᵀ)).
  public static func relativeOutputError(
    original: [Double], pruned: [Double], rows: Int, n: Int, hessian h: [Double]
  ) -> Double {
    func quadratic(_ v: (Int) -> Double, _ r: Int) -> Double {
      var sum = 0.0
      for i in 0 ..< n { for j in 0 ..< n { sum += v(r * n + i) * h[i * n + j] * v(r * n + j) } }
      return sum
    }
    var change = 0.0
    var total = 0.0
    for r in 0 ..< rows {
      change += quadratic({ original[$0] - pruned[$0] }, r)
      total += quadratic({ original[$0] }, r)
    }
    return (change / total).squareRoot()
  }

  /// The inverse of `a` by Gauss–Jordan elimination with partial pivoting.
  private static func gaussJordanInverse(_ a: [Double], n: Int) -> [Double] {
    var m = a
    var inverse = (0 ..< n * n).map { $0 / n == $0 % n ? 1.0 : 0.0 }
    for column in 0 ..< n {
      let pivot = (column ..< n).max { abs(m[$0 * n + column]) < abs(m[$1 * n + column]) } ?? column
      for j in 0 ..< n {
        m.swapAt(column * n + j, pivot * n + j)
        inverse.swapAt(column * n + j, pivot * n + j)
      }
      let scale = 1 / m[column * n + column]
      for j in 0 ..< n {
        m[column * n + j] *= scale
        inverse[column * n + j] *= scale
      }
      for row in 0 ..< n where row != column {
        let factor = m[row * n + column]
        guard factor != 0 else { continue }
        for j in 0 ..< n {
          m[row * n + j] -= factor * m[column * n + j]
          inverse[row * n + j] -= factor * inverse[column * n + j]
        }
      }
    }
    return inverse
  }
}
