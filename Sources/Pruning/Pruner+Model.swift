extension Pruner {
  /// Prunes every tensor of a model in place and returns their masks in order: each tensor
  /// on its own, or, with `config.scope == .global`, all of them under one ranking.
  /// On error the model is left unchanged.
  ///
  /// - Parameter inputs: per tensor name, what the metric needs besides the weights.
  @discardableResult
  public func prune(_ model: inout [WeightTensor], inputs: [String: ScoreInput] = [:])
    throws(PruningError) -> [PruningMask]
  {
    var pruned = model
    var masks = [PruningMask]()
    masks.reserveCapacity(model.count)
    if config.scope == .global {
      let cut = try Self.withRankedTensors(model, inputs: inputs) { tensors throws(PruningError) in
        try globalCut(tensors)
      }
      for index in pruned.indices {
        let (name, shape) = (pruned[index].name, pruned[index].shape)
        var values = pruned[index].values.mutableSpan
        masks.append(
          try prune(&values, shape: shape, name: name, input: inputs[name], following: cut))
      }
    } else {
      for index in pruned.indices {
        masks.append(try prune(&pruned[index], input: inputs[pruned[index].name]))
      }
    }
    model = pruned
    return masks
  }

  /// Calls `body` with views of the model's tensors as `RankedTensor`s.
  private static func withRankedTensors<R>(
    _ model: [WeightTensor], inputs: [String: ScoreInput],
    _ body: ([RankedTensor]) throws(PruningError) -> R
  ) throws(PruningError) -> R {
    var ranked = [RankedTensor]()
    func collect(_ index: Int) throws(PruningError) -> R {
      guard index < model.count else { return try body(ranked) }
      let tensor = model[index]
      return try tensor.values.withUnsafeBufferPointer { values throws(PruningError) in
        ranked.append(
          try RankedTensor(
            name: tensor.name, shape: tensor.shape, bytes: UnsafeRawBufferPointer(values),
            as: Float.self,
            input: inputs[tensor.name]))
        return try collect(index + 1)
      }
    }
    return try collect(0)
  }
}
