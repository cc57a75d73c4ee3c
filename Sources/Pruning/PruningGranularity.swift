/// What one pruning decision removes: a single weight, or a whole unit of weights.
public enum PruningGranularity: Sendable, Hashable, Codable {
  /// Each weight is its own unit.
  case unstructured
  /// Whole rows of a 2-D `[out, in]` tensor: output neurons (dimension 0).
  case rows
  /// Whole columns of a 2-D `[out, in]` tensor: input features (dimension 1).
  case columns

  /// A short name for reports and the command line: `unstructured`, `rows`, `columns`.
  public var name: String {
    switch self {
    case .unstructured: "unstructured"
    case .rows: "rows"
    case .columns: "columns"
    }
  }
}
