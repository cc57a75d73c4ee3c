// The one matrix SparseGPT's updates read, from the Hessian H of the layer's inputs
// (Frantar & Alistarh, "SparseGPT: Massive Language Models Can Be Accurately Pruned in
// One-Shot", ICML 2023, §3.2 and Algorithm 1).
//
// The paper's updates read rows of U, the upper Cholesky factor of the dampened inverse,
// (H + λI)⁻¹ = UᵀU; the published code computes it in three LAPACK steps (Cholesky of H,
// inverse, Cholesky of the inverse: ≈ 4n³/3 flops). With J the order-reversing
// permutation, chol(J·H·J) = L gives H = R·Rᵀ for the upper R = J·L·J, and U = R⁻¹. Bonsai
// keeps R itself — one Cholesky, n³/3 flops — and `SparseGPT` runs the same updates through
// R (W − W_pruned = E·U means E = (W − W_pruned)·R; see `RowSweep`), so no inverse is
// ever formed. The factor is computed in double precision: a dampened Hessian of a real
// layer has condition numbers up to ~100·n, and single precision would lose most digits of
// its small pivots. R is rounded to Float once, at the end, for the GEMM updates.

/// The Cholesky factor SparseGPT's updates read: the upper R with H + λI = R·Rᵀ (so that
/// R⁻¹ is the upper Cholesky factor of the dampened inverse Hessian), and the inputs that
/// are dead (zero diagonal, never active on calibration data).
///
/// Weights that read the same input (the q, k and v projections; gate and up) share one
/// factor: compute it once and prune each with it.
public struct HessianFactor: Sendable {
  /// The number of inputs n: the Hessian is n × n.
  public let size: Int
  /// The inputs whose Hessian diagonal is zero, ascending: their weights are zeroed.
  public let deadInputs: [Int]
  /// λ, the value added to the diagonal: the dampening times the mean of the diagonal, a
  /// dead input's diagonal (0, set to 1) counted as 1.
  public let dampingValue: Double
  /// R, row-major n × n, zero below the diagonal.
  let upper: [Float]

  /// Factors the Hessian `hessian`, row-major `size × size` and symmetric (its upper
  /// triangle is read), as SparseGPT does: a dead input (H_ii = 0) gets H_ii = 1; then
  /// λ = `dampening` × mean(diag H) is added to the diagonal; then R is computed in double
  /// precision. The scale of H does not matter (R scales, the pruning does not change).
  ///
  /// - Parameters:
  ///   - hessian: Σ x·xᵀ over calibration inputs x (any positive scale), F32 or F64.
  ///   - size: n, the weight's column count.
  ///   - name: the weight's name, for errors.
  ///   - dampening: the fraction of the mean diagonal added to it, ≥ 0; default 0.01.
  ///   - threadCount: threads to use (default all); the result does not depend on it.
  /// - Throws: `SparseGPTError.hessianShape` (not n × n), `.nonFiniteHessian`,
  ///   `.invalidDampening`, `.hessianNotPositiveSemidefinite` (a negative diagonal entry,
  ///   or a Cholesky pivot that dampening does not make positive).
  /// - Complexity: n³/3 flops in double precision; memory 8n² bytes while factoring, 4n²
  ///   bytes held.
  public init(
    hessian: Span<Double>, size: Int, name: String, dampening: Double = 0.01,
    threadCount: Int? = nil
  ) throws(SparseGPTError) {
    try self.init(hessian, size: size, name: name, dampening: dampening, threads: threadCount)
  }

  /// Factors a single-precision Hessian; see the double-precision initializer.
  public init(
    hessian: Span<Float>, size: Int, name: String, dampening: Double = 0.01,
    threadCount: Int? = nil
  ) throws(SparseGPTError) {
    try self.init(hessian, size: size, name: name, dampening: dampening, threads: threadCount)
  }

  private init<Scalar: BinaryFloatingPoint>(
    _ hessian: Span<Scalar>, size n: Int, name: String, dampening: Double, threads: Int?
  ) throws(SparseGPTError) {
    guard n >= 1, n.multipliedReportingOverflow(by: n) == (hessian.count, false) else {
      throw .hessianShape(name: name, shape: [hessian.count], expected: [n, n])
    }
    guard dampening >= 0 && dampening.isFinite else { throw .invalidDampening(dampening) }
    let threads = max(1, threads ?? Parallel.defaultThreadCount)
    let working = UnsafeMutableBufferPointer<Double>.allocate(capacity: n * n)
    defer { working.deallocate() }
    let (dead, lambda) = try Self.reversedDampened(
      hessian, n: n, name: name, dampening: dampening, into: working, threads: threads)
    let a = MatrixView(working, rows: n, columns: n)
    if let row = ParallelCholesky.factor(a, threads: threads) {
      throw .hessianNotPositiveSemidefinite(name: name, column: n - 1 - row, dampening: dampening)
    }
    var upper = [Float](repeating: 0, count: n * n)
    upper.withUnsafeMutableBufferPointer { upper in
      let rowTiles = ParallelCholesky.tiles(0 ..< n)
      Parallel.forEach(tasks: rowTiles.count, threads: threads) { tile in
        for row in rowTiles[tile] {
          let reversed = (n - 1 - row) * n + (n - 1)
          for column in row ..< n { upper[row * n + column] = Float(working[reversed - column]) }
        }
      }
    }
    self.size = n
    self.deadInputs = dead
    self.dampingValue = lambda
    self.upper = upper
  }

  /// Writes U_bb = R_bb⁻¹, the inverse of R's diagonal block `block` (which is U's own
  /// diagonal block), into `inverse` (width × width, zeros below the diagonal), by back
  /// substitution in double precision.
  ///
  /// - Complexity: width³/6 flops.
  func inverseOfDiagonalBlock(_ block: Range<Int>, into inverse: MatrixView<Float>) {
    let width = block.count
    precondition(inverse.rows == width && inverse.columns == width, "block shape")
    func r(_ row: Int, _ column: Int) -> Double {
      Double(upper[(block.lowerBound + row) * size + block.lowerBound + column])
    }
    withUnsafeTemporaryAllocation(of: Double.self, capacity: width) { x in
      for column in 0 ..< width {
        x[column] = 1 / r(column, column)
        for row in stride(from: column - 1, through: 0, by: -1) {
          var sum = 0.0
          for k in row + 1 ... column { sum += r(row, k) * x[k] }
          x[row] = -sum / r(row, row)
        }
        for row in 0 ..< width {
          inverse[row, column] = row <= column ? Float(x[row]) : 0
        }
      }
    }
  }

  /// Writes J·(H + λI)·J into `working` (element (i, j) is H's (n−1−i, n−1−j), read from
  /// H's upper triangle and mirrored), with dead diagonals set to 1; returns the dead inputs
  /// and λ.
  private static func reversedDampened<Scalar: BinaryFloatingPoint>(
    _ hessian: Span<Scalar>, n: Int, name: String, dampening: Double,
    into working: UnsafeMutableBufferPointer<Double>, threads: Int
  ) throws(SparseGPTError) -> (dead: [Int], lambda: Double) {
    var dead = [Int]()
    var diagonalSum = 0.0
    for input in 0 ..< n {
      let value = Double(hessian[input * n + input])
      guard value.isFinite else { break }
      guard value >= 0 else {
        throw .hessianNotPositiveSemidefinite(name: name, column: input, dampening: dampening)
      }
      if value == 0 { dead.append(input) }
      diagonalSum += value == 0 ? 1 : value
    }
    let lambda = dampening * diagonalSum / Double(n)
    let rowTiles = ParallelCholesky.tiles(0 ..< n)
    var nonFinite = [Int](repeating: 0, count: rowTiles.count)
    hessian.withUnsafeBufferPointer { source in
      nonFinite.withUnsafeMutableBufferPointer { nonFinite in
        Parallel.forEach(tasks: rowTiles.count, threads: threads) { tile in
          var count = 0
          for row in rowTiles[tile] {
            for column in 0 ... row {
              let value = Double(source[(n - 1 - row) * n + (n - 1 - column)])
              if !value.isFinite { count += 1 }
              working[row * n + column] = value
            }
            let diagonal = working[row * n + row]
            working[row * n + row] = (diagonal == 0 ? 1 : diagonal) + lambda
          }
          nonFinite[tile] = count
        }
      }
    }
    let count = nonFinite.reduce(0, +)
    guard count == 0 else { throw .nonFiniteHessian(name: name, count: count) }
    return (dead, lambda)
  }
}
