extension Pruner {
  /// Prunes every tensor of a model in place and returns their masks in order: each tensor
  /// on its own, or, with `config.scope == .global`, all of them under one ranking. An empty
  /// model gives no masks under either scope.
  ///
  /// Every tensor is checked before any is changed, so on error the model is left
  /// unchanged; the weights are pruned where they lie, never copied (keep no other reference
  /// to a tensor's values, or that tensor's array is copied on its first write).
  ///
  /// - Parameter inputs: per tensor name, what the metric needs besides the weights.
  /// - Complexity: O(total) time; extra memory the masks (one bit per weight) and, for the
  ///   largest tensor, what `prune(_:input:)` needs: every mask is decided before the first
  ///   is applied (it is `prune(_:inputs:checkpoint:)` never stopped).
  @discardableResult
  public func prune(_ model: inout [WeightTensor], inputs: [String: ScoreInput] = [:])
    throws(PruningError) -> [PruningMask]
  {
    guard let masks = try prune(&model, inputs: inputs, checkpoint: { _ in true }) else {
      preconditionFailure("a call its checkpoint never stops returned no masks")
    }
    return masks
  }

  /// Prunes every tensor of a model like `prune(_:inputs:)`, asking `checkpoint` whether to
  /// go on — with the fraction of the work done, by weights — before each tensor's mask is
  /// decided (tensor scope), before and after a global ranking, and with 1 once every mask
  /// is decided, just before the first weight changes.
  ///
  /// Its answer is always honoured and it is never asked once the weights start changing:
  /// a call that `checkpoint` stops, or that throws, leaves `model` untouched, and no call
  /// leaves it half pruned. The weights are never copied.
  ///
  /// - Parameter checkpoint: returns false to stop the call.
  /// - Returns: the masks, or nil when `checkpoint` stopped the call.
  /// - Complexity: as `prune(_:inputs:)`; the masks are decided in one pass (dry runs) and
  ///   applied in another.
  public func prune(
    _ model: inout [WeightTensor], inputs: [String: ScoreInput] = [:],
    checkpoint: (_ fractionDone: Double) -> Bool
  ) throws(PruningError) -> [PruningMask]? {
    var masks = [PruningMask]()
    masks.reserveCapacity(model.count)
    if config.scope == .global {
      guard checkpoint(0) else { return nil }
      let cut = try globalCut(model.map { RankedTensor($0, input: inputs[$0.name]) })
      guard checkpoint(0.5) else { return nil }
      for tensor in model {
        masks.append(
          try mask(
            of: tensor.values.span, shape: tensor.shape, name: tensor.name,
            input: inputs[tensor.name], following: cut))
      }
    } else {
      let total = Double(max(1, model.reduce(0) { $0 + $1.count }))
      var done = 0
      for tensor in model {
        guard checkpoint(Double(done) / total) else { return nil }
        masks.append(try mask(of: tensor, input: inputs[tensor.name]))
        done += tensor.count
      }
    }
    guard checkpoint(1) else { return nil }
    for index in model.indices {
      model[index].values.withUnsafeMutableBufferPointer {
        masks[index].apply(to: $0, threads: threadCount)
      }
    }
    return masks
  }
}
