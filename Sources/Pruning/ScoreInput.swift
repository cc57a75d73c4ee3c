/// Per-tensor data that a metric needs besides the weights.
public enum ScoreInput: Sendable, Hashable {
  /// ∂loss/∂w for every weight, in the tensor's order (`ImportanceMetric.taylor`).
  case gradients([Float])
  /// ‖X_j‖₂ for every input feature j, one per column (`ImportanceMetric.wanda`); see
  /// `ActivationNorms` to compute them from calibration inputs.
  case inputNorms([Float])
  /// One score per weight, in the tensor's order, used as given
  /// (`ImportanceMetric.supplied`).
  case scores([Float])

  /// The kinds of score input.
  public enum Kind: String, Sendable, Hashable, CaseIterable {
    /// `ScoreInput.gradients`.
    case gradients
    /// `ScoreInput.inputNorms`.
    case inputNorms = "input norms"
    /// `ScoreInput.scores`.
    case scores
  }

  /// Which kind of input this is.
  public var kind: Kind {
    switch self {
    case .gradients: .gradients
    case .inputNorms: .inputNorms
    case .scores: .scores
    }
  }

  /// The values.
  var values: [Float] {
    switch self {
    case .gradients(let values), .inputNorms(let values), .scores(let values): values
    }
  }
}
