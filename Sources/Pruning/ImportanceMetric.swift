/// How the importance of a weight, or of a unit of weights, is scored. Low scores are
/// pruned first.
public enum ImportanceMetric: Sendable, Hashable, Codable {
  /// |w| per element; the sum of |w| (L1 norm) per row or column.
  case l1Magnitude
  /// w² per element; the Euclidean (L2) norm per row or column.
  case l2Magnitude
  /// A stand-in for the first-order Taylor score |w·g| when no gradient is known: scored
  /// exactly as `l2Magnitude`.
  case taylorProxy
  /// Reproducible pseudo-random scores in [0, 1) from a 64-bit LCG (see `RandomScores`).
  case random(seed: UInt64)

  /// A short name for reports and the command line: `l1`, `l2`, `taylor`, `random`.
  public var name: String {
    switch self {
    case .l1Magnitude: "l1"
    case .l2Magnitude: "l2"
    case .taylorProxy: "taylor"
    case .random: "random"
    }
  }
}
