extension Pruner {
  /// Prunes weights in place like `prune(_:shape:name:input:)`, first asking `checkpoint`
  /// (with 0) whether to start, then reporting 1 when done. One tensor is pruned at once or
  /// not at all: a call stopped before it starts leaves `values` untouched.
  ///
  /// - Parameter checkpoint: returns false to stop the call.
  /// - Returns: the mask, or nil when `checkpoint` stopped the call.
  public func prune<Scalar: PrunableScalar>(
    _ values: inout MutableSpan<Scalar>, shape: [Int], name: String, input: ScoreInput? = nil,
    checkpoint: (_ fractionDone: Double) -> Bool
  ) throws(PruningError) -> PruningMask? {
    guard checkpoint(0) else { return nil }
    let mask = try prune(&values, shape: shape, name: name, input: input)
    _ = checkpoint(1)
    return mask
  }
}
