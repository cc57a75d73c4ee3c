import Pruning
import SafeTensors

extension CheckpointPruning {
  /// The decisions made before anything is written: those that need several tensors (a
  /// global ranking, the channels of a group) and the kept rows or columns of compacted
  /// tensors, which fix the output's header.
  struct Decisions {
    /// The global ranking's cut, with `--scope global`.
    var globalCut: GlobalCut?
    /// The score inputs the global ranking used (Wanda's input norms), by tensor name, so
    /// that each tensor is pruned with the same ones without computing them again.
    var rankedInputs = [String: ScoreInput]()
    /// Per channel group, the channels kept.
    var channels = [[Int]]()
    /// Per compacted tensor, its kept rows or columns.
    var compacted = [String: KeptIndices]()

    /// The rows or columns `tensor` keeps, when its pruning is structured and compacted or
    /// grouped.
    func kept(_ tensor: TensorInfo, action: Action) -> KeptIndices? {
      switch action {
      case .copy: nil
      case .prune: compacted[tensor.name]
      case .producer(let group): KeptIndices(axis: .rows, indices: channels[group])
      case .consumer(let group): KeptIndices(axis: .columns, indices: channels[group])
      }
    }
  }

  /// Makes the decisions of `plan`, reading the tensors they need one at a time (letting go
  /// of each one's pages afterwards). `buffer` holds the largest pruned tensor.
  func decide(_ file: SafeTensorsFile, plan: Plan, buffer: UnsafeMutableRawBufferPointer)
    throws(CommandLineError) -> Decisions
  {
    var decisions = Decisions()
    do {
      if pruner.config.scope == .global {
        for tensor in plan.pruned {
          decisions.rankedInputs[tensor.name] =
            try scoreInputs.input(for: tensor, threads: pruner.threadCount)
        }
        decisions.globalCut = try globalCut(file, tensors: plan.pruned, inputs: decisions.rankedInputs)
      }
      for group in plan.groups {
        decisions.channels.append(try keptChannels(file, group: group))
      }
      if compact {
        for tensor in plan.pruned {
          try file.checkNotTruncated()
          let bytes = UnsafeMutableRawBufferPointer(rebasing: buffer[0 ..< tensor.byteCount])
          file.withBytes(of: tensor) { bytes.copyMemory(from: $0) }
          file.release(tensor)
          let mask = try PrunableBuffer.prune(
            bytes, dtype: tensor.dtype, shape: tensor.shape, name: tensor.name, with: pruner,
            input: try scoreInputs.input(for: tensor, threads: pruner.threadCount),
            following: nil)
          let (rows, columns) = (tensor.shape[0], tensor.shape[1])
          decisions.compacted[tensor.name] =
            pruner.config.granularity == .rows
            ? KeptIndices(axis: .rows, indices: Compaction.keptRows(of: mask, rows: rows, columns: columns))
            : KeptIndices(axis: .columns, indices: Compaction.keptColumns(of: mask, rows: rows, columns: columns))
        }
      }
    } catch let error as CommandLineError {
      throw error
    } catch {
      throw .failure("\(input): \(error)")
    }
    return decisions
  }

  /// One ranking over the weights of `tensors`, read where they lie in the mapped file.
  private func globalCut(
    _ file: SafeTensorsFile, tensors: [TensorInfo], inputs: [String: ScoreInput]
  ) throws -> GlobalCut {
    try file.checkNotTruncated()
    return try file.withBytes(of: tensors) { views throws in
      var ranked = [RankedTensor]()
      for (index, tensor) in tensors.enumerated() {
        ranked.append(
          try PrunableBuffer.ranked(views[index], info: tensor, input: inputs[tensor.name]) {
            file.release(tensor)
          })
      }
      return try pruner.globalCut(ranked)
    }
  }

  /// The channels a group keeps, scored over all its members.
  private func keptChannels(_ file: SafeTensorsFile, group: ChannelPairing.Group) throws -> [Int] {
    var scores = try ChannelScores(
      channels: group.channels, config: pruner.config, threadCount: pruner.threadCount)
    for (tensor, asProducer) in group.producers.map({ ($0, true) }) + [(group.consumer, false)] {
      try file.checkNotTruncated()
      try file.withBytes(of: tensor) { bytes throws(PruningError) in
        try PrunableBuffer.addToChannels(&scores, bytes, info: tensor, asProducer: asProducer)
      }
      file.release(tensor)
    }
    return scores.keptChannels()
  }
}
