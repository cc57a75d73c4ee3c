import ModelFolders
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

  /// Makes the decisions of `plan`, reading the tensors they need one at a time where they
  /// lie (letting go of each one's pages afterwards): nothing is copied.
  ///
  /// A global ranking takes its tensors in name order (UTF-8 byte order), whatever the shard
  /// or file order: among equal scores, the tensor whose name comes first is pruned first,
  /// so a folder and the same tensors gathered into one file give the same bits.
  func decide(_ checkpoint: ShardedCheckpoint, plan: Plan) throws(CommandLineError) -> Decisions {
    var decisions = Decisions()
    do {
      if pruner.config.scope == .global {
        let ranked = ranking(plan).filter { part?.writes(checkpoint.shard(of: $0.info)) ?? true }
        decisions.rankedInputs = try rankingInputs(ranked.map(\.info))
        decisions.globalCut = try withRanked(
          checkpoint, ranked.map(\.info), inputs: decisions.rankedInputs
        ) { tensors throws in
          if let cut = part?.cut {
            try pruner.globalCut(tensors, firstUnits: ranked.map(\.firstUnit), following: cut)
          } else {
            try pruner.globalCut(tensors)
          }
        }
      }
      for (index, group) in plan.groups.enumerated() {
        decisions.channels.append(try part?.channels[index] ?? keptChannels(checkpoint, group: group))
      }
      if compact {
        for tensor in plan.pruned where part?.writes(checkpoint.shard(of: tensor)) ?? true {
          try checkpoint.checkNotTruncated(tensor)
          let input = try scoreInputs.input(for: tensor, threads: pruner.threadCount)
          let mask = try checkpoint.withBytes(of: tensor) { bytes throws(PruningError) in
            try PrunableBuffer.mask(
              of: bytes, dtype: tensor.dtype, shape: tensor.shape, name: tensor.name, with: pruner,
              input: input, following: nil)
          }
          checkpoint.release(tensor)
          let (rows, columns) = (tensor.shape[0], tensor.shape[1])
          decisions.compacted[tensor.name] =
            pruner.config.granularity == .rows
            ? KeptIndices(axis: .rows, indices: try Compaction.keptRows(of: mask, rows: rows, columns: columns))
            : KeptIndices(axis: .columns, indices: try Compaction.keptColumns(of: mask, rows: rows, columns: columns))
        }
      }
    } catch let error as CommandLineError {
      throw error
    } catch {
      throw .failure("\(input): \(error)")
    }
    return decisions
  }

  /// The tensors of a global ranking in ranking order — name order (UTF-8 byte order),
  /// whatever the shard or file order — each with its first element's place in the ranking.
  func ranking(_ plan: Plan) -> [(info: TensorInfo, firstUnit: Int)] {
    let ranked = plan.pruned.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
    var firstUnit = 0
    return ranked.map { tensor in
      defer { firstUnit += tensor.elementCount }
      return (tensor, firstUnit)
    }
  }

  /// The score input of each of `tensors`, by name.
  func rankingInputs(_ tensors: [TensorInfo]) throws(CommandLineError) -> [String: ScoreInput] {
    var inputs = [String: ScoreInput]()
    for tensor in tensors {
      inputs[tensor.name] = try scoreInputs.input(for: tensor, threads: pruner.threadCount)
    }
    return inputs
  }

  /// Calls `body` with `tensors` as ranked tensors, in the order given, read where they lie
  /// in the mapped shards.
  func withRanked<R>(
    _ checkpoint: ShardedCheckpoint, _ tensors: [TensorInfo], inputs: [String: ScoreInput],
    _ body: ([RankedTensor]) throws -> R
  ) throws -> R {
    for tensor in tensors { try checkpoint.checkNotTruncated(tensor) }
    return try checkpoint.withBytes(of: tensors) { views throws in
      var ranked = [RankedTensor]()
      for (index, tensor) in tensors.enumerated() {
        ranked.append(
          try PrunableBuffer.ranked(views[index], info: tensor, input: inputs[tensor.name]) {
            checkpoint.release(tensor)
          })
      }
      return try body(ranked)
    }
  }

  /// The channels a group keeps, scored over all its members.
  func keptChannels(_ checkpoint: ShardedCheckpoint, group: ChannelPairing.Group) throws -> [Int] {
    var scores = try ChannelScores(
      channels: group.channels, config: pruner.config, threadCount: pruner.threadCount)
    for (tensor, asProducer) in group.producers.map({ ($0, true) }) + [(group.consumer, false)] {
      try checkpoint.checkNotTruncated(tensor)
      try checkpoint.withBytes(of: tensor) { bytes throws(PruningError) in
        try PrunableBuffer.addToChannels(&scores, bytes, info: tensor, asProducer: asProducer)
      }
      checkpoint.release(tensor)
    }
    return scores.keptChannels()
  }
}
