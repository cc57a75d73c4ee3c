extension Pruner {
  /// Prunes weights in place like `prune(_:shape:name:input:)`, asking `checkpoint` whether
  /// to go on with 0 before the mask is decided and with 1 once it is, just before the first
  /// weight changes. Its answer is always honoured and it is never asked afterwards: a call
  /// it stops leaves `values` untouched, and no call leaves them half pruned.
  ///
  /// - Parameter checkpoint: returns false to stop the call.
  /// - Returns: the mask, or nil when `checkpoint` stopped the call.
  /// - Complexity: as `prune(_:shape:name:input:)`, with the mask decided in one pass (a dry
  ///   run) and applied in another.
  public func prune<Scalar: PrunableScalar>(
    _ values: inout MutableSpan<Scalar>, shape: [Int], name: String, input: ScoreInput? = nil,
    checkpoint: (_ fractionDone: Double) -> Bool
  ) throws(PruningError) -> PruningMask? {
    guard checkpoint(0) else { return nil }
    let mask = try self.mask(of: values.span, shape: shape, name: name, input: input)
    guard checkpoint(1) else { return nil }
    values.withUnsafeMutableBufferPointer { mask.apply(to: $0, threads: threadCount) }
    return mask
  }
}
