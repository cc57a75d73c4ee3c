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
  /// decided (tensor scope), before and after a global ranking, and with 1 at the end.
  ///
  /// Every decision is made before the first weight is changed, and once the masks are
  /// applied the call completes: a call that `checkpoint` stops, or that throws, leaves
  /// `model` untouched, and no call leaves it half pruned. The weights are never copied.
  ///
  /// - Parameter checkpoint: returns false to stop the call.
  /// - Returns: the masks, or nil when `checkpoint` stopped the call.
  /// - Complexity: as `prune(_:inputs:)`; under tensor scope the masks are decided in one
  ///   pass and applied in another.
  public func prune(
    _ model: inout [WeightTensor], inputs: [String: ScoreInput] = [:],
    checkpoint: (_ fractionDone: Double) -> Bool
  ) throws(PruningError) -> [PruningMask]? {
    if config.scope == .global {
      guard checkpoint(0) else { return nil }
      let cut = try globalCut(model.map { RankedTensor($0, input: inputs[$0.name]) })
      guard checkpoint(0.5) else { return nil }
      let masks = try prune(&model, inputs: inputs, following: cut)
      _ = checkpoint(1)
      return masks
    }
    let total = Double(max(1, model.reduce(0) { $0 + $1.count }))
    var done = 0
    var masks = [PruningMask]()
    masks.reserveCapacity(model.count)
    for tensor in model {
      guard checkpoint(Double(done) / total) else { return nil }
      masks.append(try mask(of: tensor, input: inputs[tensor.name]))
      done += tensor.count
    }
    for index in model.indices {
      model[index].values.withUnsafeMutableBufferPointer {
        masks[index].apply(to: $0, threads: threadCount)
      }
    }
    _ = checkpoint(1)
    return masks
  }

  /// Prunes every tensor of `model` in place with its share of a global `cut`.
  private func prune(
    _ model: inout [WeightTensor], inputs: [String: ScoreInput], following cut: GlobalCut
  ) throws(PruningError) -> [PruningMask] {
    var masks = [PruningMask]()
    masks.reserveCapacity(model.count)
    for index in model.indices {
      let (name, shape) = (model[index].name, model[index].shape)
      var values = model[index].values.mutableSpan
      masks.append(
        try prune(&values, shape: shape, name: name, input: inputs[name], following: cut))
    }
    return masks
  }
}
