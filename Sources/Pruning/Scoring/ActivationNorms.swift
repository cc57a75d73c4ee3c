/// Wanda's per-input-feature activation norms ‖X_j‖₂ from calibration inputs.
public enum ActivationNorms {
  /// The L2 norm of every column of `samples`, a row-major `[samples, features]` matrix of
  /// calibration inputs of `Float`, `Float16` or `BFloat16`: the input norms of
  /// `ScoreInput.inputNorms`. Computed like column scores — squares summed in Double, rows in
  /// order — so the result does not depend on the thread count.
  ///
  /// - Throws: `PruningError.activationShape` when the shape is not 2-D,
  ///   `.shapeMismatch` when it does not hold the values; `.invalidScoreInput` (naming
  ///   `name`) for NaN or ±Inf inputs (kind `calibration inputs`), and for norms beyond the
  ///   largest `Float` (kind `input norms`: finite inputs too large), never an error about
  ///   weights.
  public static func columnNorms<Scalar: PrunableScalar>(
    of samples: Span<Scalar>, shape: [Int], name: String, threadCount: Int? = nil
  ) throws(PruningError) -> [Float] {
    guard shape.count == 2 else { throw .activationShape(name: name, shape: shape) }
    guard WeightTensor.elementCount(of: shape) == samples.count else {
      throw .shapeMismatch(name: name, shape: shape, valueCount: samples.count)
    }
    let threads = max(1, threadCount ?? Parallel.defaultThreadCount)
    let norms: [Float]
    do {
      norms = try CheckedNorms(
        rows: shape[0], columns: shape[1], kind: .l2, alongRows: false, name: name,
        threads: threads
      ).norms(of: samples)
    } catch .nonFiniteWeights(_, let count) {
      throw .invalidScoreInput(
        name: name, kind: "calibration inputs", count: count, problem: "NaN or ±Inf")
    }
    // Squares are summed in Double: finite inputs near Float's limit give a norm past it.
    let overflowed = norms.reduce(0) { $0 + ($1.isFinite ? 0 : 1) }
    guard overflowed == 0 else {
      throw .invalidScoreInput(
        name: name, kind: "input norms", count: overflowed,
        problem: "beyond the largest Float (the calibration inputs are too large)")
    }
    return norms
  }
}
