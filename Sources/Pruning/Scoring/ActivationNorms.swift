/// Wanda's per-input-feature activation norms ‖X_j‖₂ from calibration inputs.
public enum ActivationNorms {
  /// The L2 norm of every column of `samples`, a row-major `[samples, features]` matrix of
  /// calibration inputs of `Float`, `Float16` or `BFloat16`: the input norms of
  /// `ScoreInput.inputNorms`. Computed like column scores — squares summed in Double, rows in
  /// order — so the result does not depend on the thread count.
  ///
  /// - Throws: `PruningError.activationShape` when the shape is not 2-D,
  ///   `.shapeMismatch` when it does not hold the values; `.nonFiniteWeights` (naming
  ///   `name`) for NaN or ±Inf inputs.
  public static func columnNorms<Scalar: PrunableScalar>(
    of samples: Span<Scalar>, shape: [Int], name: String, threadCount: Int? = nil
  ) throws(PruningError) -> [Float] {
    guard shape.count == 2 else { throw .activationShape(name: name, shape: shape) }
    guard WeightTensor.elementCount(of: shape) == samples.count else {
      throw .shapeMismatch(name: name, shape: shape, valueCount: samples.count)
    }
    let threads = max(1, threadCount ?? Parallel.defaultThreadCount)
    return try CheckedNorms(
      rows: shape[0], columns: shape[1], kind: .l2, alongRows: false, name: name,
      threads: threads
    ).norms(of: samples)
  }
}
