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
  /// An N:M pattern with `keep` outside 1 ..< `group`.
  case invalidPattern(keep: Int, group: Int)
  /// An iterative mode asked of an N:M pattern, which fixes its count.
  case iterativePattern(pattern: String)
  /// A block dimension below 1.
  case invalidBlockShape(rows: Int, columns: Int)
  /// A row length that is not a multiple of the N:M group size.
  case rowNotDivisible(name: String, columns: Int, group: Int)
  /// A scope that the granularity cannot take (per-row or global with structured units).
  case scopeNeedsUnstructured(scope: String, granularity: String)
  /// A global ranking asked of a single tensor, or a tensor scope asked of a global call.
  case scopeMismatch(scope: String, call: String)
  /// The metric needs per-tensor data that was not given.
  case missingScoreInput(name: String, metric: String, needs: String)
  /// Score input of the wrong kind for the metric.
  case unexpectedScoreInput(name: String, metric: String, given: String)
  /// Score input whose length does not fit the tensor.
  case scoreInputCount(name: String, kind: String, count: Int, expected: Int)
  /// Score input holding NaN, ±Inf or (for norms) negative values.
  case invalidScoreInput(name: String, kind: String, count: Int, problem: String)
  /// A schedule whose steps or sparsities are out of range.
  case invalidSchedule(String)
  /// Two tensors of one ranking share a name.
  case duplicateTensor(name: String)
  /// A tensor that a global cut did not rank.
  case unknownTensor(name: String)
  /// A tensor pruned following a global cut with another shape than the one it was ranked
  /// with.
  case rankedShapeMismatch(name: String, ranked: [Int], given: [Int])
  /// A tensor pruned following a global cut with another element type than the one it was
  /// ranked with.
  case rankedElementTypeMismatch(name: String, ranked: String, given: String)
  /// A metric that channel groups cannot score (it needs per-tensor input).
  case unsupportedChannelMetric(metric: String)
  /// Tensors paired for channel pruning whose channel counts or ranks disagree.
  case channelMismatch(name: String, problem: String)
  /// A count given by the caller (channels, mask elements) that is negative.
  case negativeCount(what: String, count: Int)
  /// A mask applied to, or read as, a shape whose element count differs from its own.
  case maskMismatch(maskCount: Int, shape: [Int])
  /// Counts of a sparsity report that cannot be: negative, or more nonzero than in all.
  case inconsistentCounts(name: String, total: Int, nonzero: Int)
  /// Rows or columns to keep that are out of range or not ascending.
  case invalidIndices(name: String, problem: String)
  /// Calibration inputs that are not a `[samples, features]` matrix.
  case activationShape(name: String, shape: [Int])
  /// Counts or a cut of a split global ranking that cannot be: out of range, inconsistent
  /// with each other, or not of the tensors ranked.
  case invalidSplitRanking(String)

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
    case .invalidPattern(let keep, let group):
      return "N:M pattern \(keep):\(group) is invalid: it needs 1 ≤ N < M (N weights kept of M)"
    case .iterativePattern(let pattern):
      return "an N:M pattern (\(pattern)) prunes M − N of every M whatever zeros are present: it takes no iterative mode"
    case .invalidBlockShape(let rows, let columns):
      return "block shape \(rows)x\(columns) is invalid: both sides must be at least 1"
    case .rowNotDivisible(let name, let columns, let group):
      return "tensor \"\(name)\": rows of \(columns) weights do not split into groups of \(group)"
    case .scopeNeedsUnstructured(let scope, let granularity):
      return "scope \(scope) ranks single weights: it cannot be combined with \(granularity) granularity"
    case .scopeMismatch(let scope, let call):
      return "scope \(scope) cannot be used by \(call)"
    case .missingScoreInput(let name, let metric, let needs):
      return "tensor \"\(name)\": metric \(metric) needs \(needs), and none were given"
    case .unexpectedScoreInput(let name, let metric, let given):
      return "tensor \"\(name)\": metric \(metric) does not use \(given)"
    case .scoreInputCount(let name, let kind, let count, let expected):
      return "tensor \"\(name)\": \(count) \(kind) given, \(expected) expected"
    case .invalidScoreInput(let name, let kind, let count, let problem):
      return "tensor \"\(name)\": \(count) of its \(kind) \(count == 1 ? "is" : "are") \(problem)"
    case .invalidSchedule(let problem):
      return "invalid schedule: \(problem)"
    case .duplicateTensor(let name):
      return "tensor \"\(name)\" appears twice in one ranking"
    case .unknownTensor(let name):
      return "tensor \"\(name)\" was not part of the global ranking"
    case .rankedShapeMismatch(let name, let ranked, let given):
      return "tensor \"\(name)\" was ranked with shape \(ranked), not \(given)"
    case .rankedElementTypeMismatch(let name, let ranked, let given):
      return "tensor \"\(name)\" was ranked as \(ranked) elements, not \(given)"
    case .unsupportedChannelMetric(let metric):
      return "metric \(metric) cannot score channel groups: use l1, l2, taylor-proxy or random"
    case .channelMismatch(let name, let problem):
      return "tensor \"\(name)\": \(problem)"
    case .negativeCount(let what, let count):
      return "\(what) \(count) is negative"
    case .maskMismatch(let maskCount, let shape):
      return "a mask of \(maskCount) elements does not cover shape \(shape)"
    case .inconsistentCounts(let name, let total, let nonzero):
      return "tensor \"\(name)\": \(nonzero) nonzero of \(total) elements is impossible"
    case .invalidIndices(let name, let problem):
      return "tensor \"\(name)\": \(problem)"
    case .activationShape(let name, let shape):
      return "activations \"\(name)\" have shape \(shape): calibration inputs must be [samples, features]"
    case .invalidSplitRanking(let problem):
      return "split global ranking: \(problem)"
    }
  }
}
