/// How the importance of a weight, or of a unit of weights, is scored. Low scores are
/// pruned first.
///
/// Rows and columns are scored by a norm of their weights for the magnitude metrics (row L2
/// norms through CBLAS, the rest by C kernels summing in Double) and by the sum of their
/// element scores for `taylor`, `wanda` and `supplied`; blocks by the mean or maximum of
/// their element scores.
public enum ImportanceMetric: Sendable, Hashable, Codable {
  /// |w| per element; the sum of |w| (L1 norm) per row or column.
  case l1Magnitude
  /// w² per element; the Euclidean (L2) norm per row or column.
  case l2Magnitude
  /// A stand-in for the first-order Taylor score |w·g| when no gradient is known: scored
  /// exactly as `l2Magnitude`.
  case taylorProxy
  /// The first-order Taylor score |w·g| (a `Float` product), from `ScoreInput.gradients`.
  case taylor
  /// Wanda's activation-aware score |w_ij| · ‖X_j‖₂ (a `Float` product), from
  /// `ScoreInput.inputNorms`: the norm of input feature j over calibration samples.
  case wanda
  /// Scores supplied by the caller, one per weight, used as they are
  /// (`ScoreInput.scores`).
  case supplied
  /// Reproducible pseudo-random scores in [0, 1) from a 64-bit LCG (see `RandomScores`).
  case random(seed: UInt64)

  /// A short name for reports: `l1`, `l2`, `taylor-proxy`, `taylor`, `wanda`, `supplied`,
  /// `random`. (The command line's `--metric taylor` is `taylor` with `--gradients` and
  /// `taylor-proxy` without; supplied scores are for the library.)
  public var name: String {
    switch self {
    case .l1Magnitude: "l1"
    case .l2Magnitude: "l2"
    case .taylorProxy: "taylor-proxy"
    case .taylor: "taylor"
    case .wanda: "wanda"
    case .supplied: "supplied"
    case .random: "random"
    }
  }

  /// The per-tensor data the metric needs besides the weights, if any.
  public var requiredInput: ScoreInput.Kind? {
    switch self {
    case .taylor: .gradients
    case .wanda: .inputNorms
    case .supplied: .scores
    case .l1Magnitude, .l2Magnitude, .taylorProxy, .random: nil
    }
  }
}
