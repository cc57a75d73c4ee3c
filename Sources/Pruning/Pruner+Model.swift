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
    guard let masks = try prune(&model, inputs: inputs, checkpoint: { _ in true }) else {
      preconditionFailure("a checkpoint that always goes on stopped the call")
    }
    return masks
  }

  /// Prunes every tensor of a model like `prune(_:inputs:)`, calling `checkpoint` with the
  /// fraction of the work done (by weights; a global ranking counts as half) before each
  /// tensor is pruned, before a global ranking, and with 1 at the end. Tensors are pruned in
  /// a copy that replaces `model` only once every tensor is done, so a call that
  /// `checkpoint` stops, or that throws, leaves `model` untouched.
  ///
  /// - Parameter checkpoint: returns false to stop the call.
  /// - Returns: the masks, or nil when `checkpoint` stopped the call.
  /// - Complexity: memory for a second copy of the tensors pruned so far.
  public func prune(
    _ model: inout [WeightTensor], inputs: [String: ScoreInput] = [:],
    checkpoint: (_ fractionDone: Double) -> Bool
  ) throws(PruningError) -> [PruningMask]? {
    var pruned = model
    var masks = [PruningMask]()
    masks.reserveCapacity(model.count)
    let total = Double(max(1, model.reduce(0) { $0 + $1.count }))
    var done = 0
    if config.scope == .global {
      guard checkpoint(0) else { return nil }
      let cut = try Self.withRankedTensors(model, inputs: inputs) { tensors throws(PruningError) in
        try globalCut(tensors)
      }
      for index in pruned.indices {
        guard checkpoint(0.5 + 0.5 * Double(done) / total) else { return nil }
        let (name, shape) = (pruned[index].name, pruned[index].shape)
        var values = pruned[index].values.mutableSpan
        masks.append(
          try prune(&values, shape: shape, name: name, input: inputs[name], following: cut))
        done += pruned[index].count
      }
    } else {
      for index in pruned.indices {
        guard checkpoint(Double(done) / total) else { return nil }
        masks.append(try prune(&pruned[index], input: inputs[pruned[index].name]))
        done += pruned[index].count
      }
    }
    model = pruned
    _ = checkpoint(1)
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
