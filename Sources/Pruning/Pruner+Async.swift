// Async entry points for long calls — a model pruned tensor by tensor, or under one global
// ranking, takes seconds to minutes — that honour Task cancellation and report progress.
// Cancellation is checked before each tensor's mask is decided (or before and after a global
// ranking) and once more when every mask is decided, just before the first weight changes;
// after that the call completes. A cancelled call throws `CancellationError` and leaves the
// caller's weights untouched: every mask is decided (a dry run) before any is applied (see
// `prune(_:inputs:checkpoint:)`). Progress is reported on the calling task, so a callback
// may cancel it.

extension Pruner {
  /// Prunes every tensor of a model like `prune(_:inputs:)`, checking for cancellation
  /// before each tensor's mask (before and after a global ranking) and before the first
  /// weight changes.
  ///
  /// - Parameters:
  ///   - inputs: per tensor name, what the metric needs besides the weights.
  ///   - progress: called with the fraction of the work done, by weights, from 0 to 1
  ///     (`{ _ in }` when not wanted: without it the call is the synchronous one).
  /// - Throws: `CancellationError` when the task is cancelled before the masks are
  ///   applied, `PruningError` as `prune(_:inputs:)` does; either way `model` is unchanged.
  /// - Complexity: as `prune(_:inputs:checkpoint:)`: the masks, never a copy of the weights.
  @discardableResult
  public func prune(
    _ model: inout [WeightTensor], inputs: [String: ScoreInput] = [:],
    progress: (_ fractionDone: Double) -> Void
  ) async throws -> [PruningMask] {
    let masks = try prune(&model, inputs: inputs) { fraction in
      progress(fraction)
      return !Task.isCancelled
    }
    guard let masks else { throw CancellationError() }
    return masks
  }

  /// Prunes one tensor like `prune(_:input:)`, checking for cancellation before its mask is
  /// decided and once it is, before the first weight changes.
  ///
  /// - Parameter progress: called with 0 before the mask is decided and 1 once it is.
  /// - Throws: `CancellationError` when the task is cancelled before the mask is applied,
  ///   `PruningError` as `prune(_:input:)` does; either way `tensor` is unchanged.
  @discardableResult
  public func prune(
    _ tensor: inout WeightTensor, input: ScoreInput? = nil,
    progress: (_ fractionDone: Double) -> Void
  ) async throws -> PruningMask {
    let (name, shape) = (tensor.name, tensor.shape)
    var values = tensor.values.mutableSpan
    let mask = try prune(&values, shape: shape, name: name, input: input) { fraction in
      progress(fraction)
      return !Task.isCancelled
    }
    guard let mask else { throw CancellationError() }
    return mask
  }
}
