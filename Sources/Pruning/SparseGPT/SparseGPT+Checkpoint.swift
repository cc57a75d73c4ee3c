// SparseGPT as the long call it is (seconds to a minute for one layer): cancellable, with
// progress, over Float, Float16 and BFloat16 weights. The sweep runs on a Float copy of the
// weights and the caller's buffer is written once, after the last checkpoint, so a stopped
// call leaves it untouched. The copy is the price of that promise: 4 bytes per weight
// (plus 2 for the rounded result of Float16 or BFloat16 weights), on top of the sweep's own
// accumulator of 4 bytes per weight; the synchronous Float entry (`prune(_:shape:name:
// factor:)`) sweeps in place and needs neither.

extension SparseGPT {
  /// A pruned copy of `weights`, row-major Float, Float16 or BFloat16 of shape `shape`
  /// (`[rows, in]`), and its mask; `weights` itself is never written.
  ///
  /// `checkpoint` is asked, on the calling thread, with 0 before the sweep and then with the
  /// fraction of the columns swept after every round of row bands (one band of 256 rows per
  /// thread: ~60 ms apart measured at 4096 × 3072 on two busy cores), the last with 1.
  /// When it answers false the call stops and returns nil.
  ///
  /// The updates are computed in Float and rounded once to `Scalar` (ties to even): the
  /// bits of the command line's `--metric sparsegpt` on a tensor of that dtype.
  ///
  /// - Throws: as `prune(_:factor:)`.
  /// - Complexity: as `prune(_:factor:)`; extra memory a Float copy of the weights (4 bytes
  ///   per weight) and, for Float16 or BFloat16, the result (2 bytes per weight).
  public func pruned<Scalar: UpdatableScalar>(
    _ weights: Span<Scalar>, shape: [Int], name: String, factor: HessianFactor,
    checkpoint: (_ fractionDone: Double) -> Bool
  ) throws(SparseGPTError) -> (weights: [Scalar], mask: PruningMask)? {
    let (rows, columns) = try check(weights.count, shape: shape, name: name, factor: factor)
    guard checkpoint(0) else { return nil }
    var values = weights.widened()
    let mask = try values.withUnsafeMutableBufferPointer {
      values throws(SparseGPTError) -> PruningMask? in
      do throws(PruningError) {
        try NonFiniteCount.check(UnsafeBufferPointer(values), name: name, threads: threadCount)
      } catch {
        throw .pruning(error)
      }
      let w = MatrixView(values, rows: rows, columns: columns)
      return run(w, factor: factor, checkpoint: checkpoint)
    }
    guard let mask else { return nil }
    return (Self.narrowed(values, to: Scalar.self), mask)
  }

  /// Prunes `weights` (Float, Float16 or BFloat16) in place like `pruned(_:shape:name:
  /// factor:checkpoint:)`, writing them only once the sweep is complete: a call that
  /// `checkpoint` stops, or that throws, leaves them untouched.
  ///
  /// - Returns: the mask, or nil when `checkpoint` stopped the call.
  public func prune<Scalar: UpdatableScalar>(
    _ weights: inout MutableSpan<Scalar>, shape: [Int], name: String, factor: HessianFactor,
    checkpoint: (_ fractionDone: Double) -> Bool
  ) throws(SparseGPTError) -> PruningMask? {
    let outcome = try pruned(
      weights.span, shape: shape, name: name, factor: factor, checkpoint: checkpoint)
    guard let outcome else { return nil }
    weights.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: outcome.weights) }
    return outcome.mask
  }

  /// Prunes `tensor` like `prune(_:factor:)`, checking for Task cancellation between rounds
  /// of the sweep (see `pruned(_:shape:name:factor:checkpoint:)`) and reporting progress.
  ///
  /// - Parameter progress: called with the fraction of the columns swept, from 0 to 1, on
  ///   the calling task (so it may cancel it).
  /// - Throws: `CancellationError` when the task is cancelled before the sweep is complete,
  ///   `SparseGPTError` as `prune(_:factor:)` does; either way `tensor` is unchanged.
  /// - Complexity: as `pruned(_:shape:name:factor:checkpoint:)`: a Float copy of the weights.
  @discardableResult
  public func prune(
    _ tensor: inout WeightTensor, factor: HessianFactor,
    progress: (_ fractionDone: Double) -> Void
  ) async throws -> PruningMask {
    let (name, shape) = (tensor.name, tensor.shape)
    var values = tensor.values.mutableSpan
    let mask = try prune(&values, shape: shape, name: name, factor: factor) { fraction in
      progress(fraction)
      return !Task.isCancelled
    }
    guard let mask else { throw CancellationError() }
    return mask
  }

  /// `values` rounded to `Scalar`, each to the nearest (ties to even); the array itself for
  /// Float. The three shipped types are named so that the loops run specialised.
  private static func narrowed<Scalar: UpdatableScalar>(_ values: [Float], to _: Scalar.Type)
    -> [Scalar]
  {
    // Each cast is between an array type and itself, as the test before it shows.
    if Scalar.self == Float.self { return unsafeBitCast(values, to: [Scalar].self) }
    if Scalar.self == Float16.self {
      return unsafeBitCast(values.map(Float16.init), to: [Scalar].self)
    }
    if Scalar.self == BFloat16.self {
      return unsafeBitCast(values.map(BFloat16.init), to: [Scalar].self)
    }
    return values.map(Scalar.init)
  }
}
