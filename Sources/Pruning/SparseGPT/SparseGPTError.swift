/// Everything that can go wrong in SparseGPT pruning, its Hessians and the output error,
/// each case naming the tensor, the option or the offending value.
public enum SparseGPTError: Error, CustomStringConvertible, Equatable, Sendable {
  /// A configuration or weight problem shared with the masking methods (sparsity out of
  /// range, an invalid pattern, an empty tensor, non-finite weights, …).
  case pruning(PruningError)
  /// A block size below 1.
  case invalidBlockSize(Int)
  /// A block size that is not a multiple of the N:M group, so that a group would straddle
  /// two blocks.
  case blockSizeNotMultipleOfGroup(blockSize: Int, group: Int)
  /// A dampening fraction that is negative, NaN or infinite.
  case invalidDampening(Double)
  /// A granularity or scope SparseGPT does not prune by (rows, columns, blocks, global).
  case unsupported(String)
  /// A Hessian (or activations, or a prepared factor) whose shape does not fit the weight.
  case hessianShape(name: String, shape: [Int], expected: [Int])
  /// NaN or ±Inf in a Hessian or in calibration activations.
  case nonFiniteHessian(name: String, count: Int)
  /// A Hessian that is not positive semi-definite beyond what the dampening repairs: a
  /// negative diagonal entry, or a Cholesky pivot that stays non-positive after dampening.
  case hessianNotPositiveSemidefinite(name: String, column: Int, dampening: Double)

  /// A one-line message naming what is wrong and where.
  public var description: String {
    switch self {
    case .pruning(let error):
      return error.description
    case .invalidBlockSize(let size):
      return "block size \(size) is invalid: it must be at least 1"
    case .blockSizeNotMultipleOfGroup(let blockSize, let group):
      return "block size \(blockSize) is not a multiple of the N:M group \(group): a group would straddle two blocks"
    case .invalidDampening(let value):
      return "dampening \(value) is invalid: it must be a finite fraction ≥ 0 of the mean Hessian diagonal"
    case .unsupported(let what):
      return "SparseGPT prunes single weights (per tensor or per row) or N:M patterns, not \(what)"
    case .hessianShape(let name, let shape, let expected):
      return "tensor \"\(name)\": Hessian of shape \(shape), expected \(expected)"
    case .nonFiniteHessian(let name, let count):
      return "tensor \"\(name)\": \(count) non-finite Hessian or activation value\(count == 1 ? "" : "s") (NaN or ±Inf)"
    case .hessianNotPositiveSemidefinite(let name, let column, let dampening):
      return "tensor \"\(name)\": the Hessian is not positive semi-definite (input \(column)), beyond what dampening \(dampening) repairs"
    }
  }
}
