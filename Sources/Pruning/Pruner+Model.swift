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
  ///   largest tensor, what `prune(_:input:)` needs. One more read pass over the weights
  ///   under tensor scope, to check them all before the first is changed.
  @discardableResult
  public func prune(_ model: inout [WeightTensor], inputs: [String: ScoreInput] = [:])
    throws(PruningError) -> [PruningMask]
  {
    var masks = [PruningMask]()
    masks.reserveCapacity(model.count)
    if config.scope == .global {
      let cut = try globalCut(model.map { RankedTensor($0, input: inputs[$0.name]) })
      for index in model.indices {
        let (name, shape) = (model[index].name, model[index].shape)
        var values = model[index].values.mutableSpan
        masks.append(
          try prune(&values, shape: shape, name: name, input: inputs[name], following: cut))
      }
    } else {
      for tensor in model {
        let input = inputs[tensor.name]
        try tensor.values.withUnsafeBufferPointer { values throws(PruningError) in
          _ = try checkedLayout(
            shape: tensor.shape, valueCount: values.count, name: tensor.name, input: input)
          try NonFiniteCount.check(values, name: tensor.name, threads: threadCount)
        }
      }
      for index in model.indices {
        masks.append(try prune(&model[index], input: inputs[model[index].name]))
      }
    }
    return masks
  }
}
