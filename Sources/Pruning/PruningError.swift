/// Everything that can go wrong when scoring or pruning, each case naming what and where.
///
/// Messages are one line, fit for a command-line error, and name the tensor, the option or
/// the offending value: `tensor "fc1.weight": 3 non-finite weights (NaN or ±Inf)`.
public enum PruningError: Error, CustomStringConvertible, Equatable, Sendable {
  /// The sparsity is NaN or outside [0, 1).
  case sparsityOutOfRange(Double)
  /// `minNonzero` is negative.
  case negativeMinNonzero(Int)
  /// The tensor holds no elements.
  case emptyTensor(name: String)
  /// A granularity that needs a matrix was asked of a tensor of another rank.
  case notAMatrix(name: String, shape: [Int], granularity: String)
  /// `minNonzero` asks for more survivors than the tensor has elements.
  case minNonzeroExceedsCount(name: String, minNonzero: Int, count: Int)
  /// The shape's product differs from the number of values, or a dimension is negative.
  case shapeMismatch(name: String, shape: [Int], valueCount: Int)
  /// The tensor holds NaN or ±Inf weights; corrupted weights are never ranked.
  case nonFiniteWeights(name: String, count: Int)

  /// A one-line message naming what is wrong and where.
  public var description: String {
    switch self {
    case .sparsityOutOfRange(let value):
      return "sparsity \(value) is out of range: it must be in [0, 1)"
    case .negativeMinNonzero(let value):
      return "min-nonzero \(value) is negative"
    case .emptyTensor(let name):
      return "tensor \"\(name)\" is empty: there is nothing to prune"
    case .notAMatrix(let name, let shape, let granularity):
      return "tensor \"\(name)\" has shape \(shape): \(granularity) pruning needs a 2-D tensor"
    case .minNonzeroExceedsCount(let name, let minNonzero, let count):
      return "tensor \"\(name)\": min-nonzero \(minNonzero) exceeds its \(count) elements"
    case .shapeMismatch(let name, let shape, let valueCount):
      return "tensor \"\(name)\": shape \(shape) does not hold \(valueCount) values"
    case .nonFiniteWeights(let name, let count):
      return "tensor \"\(name)\": \(count) non-finite weight\(count == 1 ? "" : "s") (NaN or ±Inf)"
    }
  }
}
