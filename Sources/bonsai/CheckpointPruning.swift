import Foundation
import ModelFolders
import Pruning
import SafeTensors

/// The one code path that prunes a checkpoint, a file or the shards of a model folder, used
/// by `bonsai prune` and `bonsai demo`: read the headers, decide per tensor, make the
/// decisions that need more than one tensor (a global ranking, channel groups) or a tensor's
/// final shape (compaction) over every shard at once, then stream shard by shard, tensor by
/// tensor, into one atomic writer per shard — pruned tensors through one reused buffer in
/// their own dtype, the others copied byte for byte.
///
/// Nothing depends on how the tensors are spread over shards or ordered inside a file: a
/// global ranking takes its tensors in name order (see `decide`), and a channel group sums
/// its producers in name order.
struct CheckpointPruning {
  /// The checkpoint to prune, a file or a model folder; never written to.
  let input: String
  /// How each selected tensor is pruned.
  let pruner: Pruner
  /// Which tensors are pruned.
  let selection: TensorSelection
  /// Where gradients and activations come from.
  var scoreInputs = ScoreInputFiles.none
  /// Which tensors share channels.
  var pairing = ChannelPairing.none
  /// Whether pruned rows and columns are removed rather than zeroed.
  var compact = false
  /// Where pictures of the pruned tensors go, for an HTML report; nil draws none.
  var pictures: TensorPictures?
  /// SparseGPT, which prunes the selected tensors instead of the pruner's metric.
  var sparseGPT: SparseGPTPruning?
  /// The Hessians of the pruned weights, for their relative output error.
  var hessians: HessianSource?
  /// How progress is shown on stderr.
  let progressStyle: ProgressDisplay.Style
  /// When many machines prune the folder, the one shard this run writes (see `ShardPart`).
  var part: ShardPart?

  /// What happens to one tensor.
  enum Action: Equatable {
    /// Copied byte for byte, for this reason.
    case copy(reason: String)
    /// Pruned by the pruner's configuration.
    case prune
    /// Rows (elements, for a bias) pruned as the channels of a group.
    case producer(group: Int)
    /// Columns pruned as the channels of a group.
    case consumer(group: Int)
  }

  /// The decision for every tensor of a checkpoint.
  struct Plan {
    let entries: [(info: TensorInfo, action: Action)]
    let groups: [ChannelPairing.Group]

    /// The tensors pruned by the pruner's configuration, in checkpoint order.
    var pruned: [TensorInfo] { entries.filter { $0.action == .prune }.map(\.info) }
  }

  /// What happened to one tensor of the checkpoint.
  struct TensorOutcome {
    let info: TensorInfo
    let action: Action
    /// The shape written (smaller than `info.shape` when compacted).
    let outputShape: [Int]
    /// Nonzero elements before and after.
    let nonzeroBefore: Int
    let nonzeroAfter: Int
    /// The rows or columns kept, for structured pruning that is compacted or grouped.
    let kept: KeptIndices?
    /// Where the scores came from (weights, gradients, activations, the w² proxy).
    let scoreSource: String?
    /// For an N:M pattern, the pattern and whether the written tensor satisfies it.
    let pattern: PruneReport.Pattern?
    /// Whether the kept weights were updated (SparseGPT) rather than left as they were.
    var keptWeightsUpdated = false
    /// sqrt(tr(ΔW·H·ΔWᵀ) / tr(W·H·Wᵀ)), when Hessians were given.
    var relativeOutputError: Double?

    /// Why it was not pruned, or nil when it was.
    var skipReason: String? {
      if case .copy(let reason) = action { reason } else { nil }
    }
  }

  // MARK: - Planning

  /// The decision for every tensor of `checkpoint`, in its order (shard after shard),
  /// checked against the options: every option that does not fit a selected tensor is a
  /// usage error naming both.
  func plan(_ checkpoint: ShardedCheckpoint) throws(CommandLineError) -> Plan {
    try selection.checkExclusions(of: checkpoint.tensors, in: input)
    let groups = try pairing.groups(
      in: checkpoint, source: input, excluded: selection.excludedByPattern)
    var roles = [String: Action]()
    for (index, group) in groups.enumerated() {
      roles[group.consumer.name] = .consumer(group: index)
      for producer in group.producers { roles[producer.name] = .producer(group: index) }
    }
    let entries = checkpoint.tensors.map { tensor in
      (tensor, roles[tensor.name] ?? selection.skipReason(for: tensor).map(Action.copy) ?? .prune)
    }
    let plan = Plan(entries: entries, groups: groups)
    try check(plan)
    return plan
  }

  /// The usage errors of a plan.
  private func check(_ plan: Plan) throws(CommandLineError) {
    let config = pruner.config
    let method = config.granularity.name
    for tensor in plan.pruned {
      if config.granularity.needsMatrix || config.scope == .perRow, tensor.shape.count != 2 {
        throw .usage(
          "\(config.scope == .perRow ? "--per-row" : "--granularity \(method)") needs 2-D tensors, but tensor "
            + "\"\(tensor.name)\" has shape \(tensor.shape)")
      }
      if case .semiStructured(_, let group) = config.granularity, tensor.shape[1] % group != 0 {
        throw .usage(
          "--granularity \(method): tensor \"\(tensor.name)\" has rows of \(tensor.shape[1]) weights, "
            + "not a multiple of \(group); --exclude it or pick another pattern")
      }
      if config.scope != .global && config.minNonzero > tensor.elementCount {
        throw .usage(
          "--min-nonzero \(config.minNonzero) exceeds the \(tensor.elementCount) elements of "
            + "tensor \"\(tensor.name)\"")
      }
      if compact && config.granularity != .rows && config.granularity != .columns {
        throw .usage(
          "--compact removes whole rows or columns: tensor \"\(tensor.name)\" is pruned with "
            + "--granularity \(method); use rows or columns, or --exclude it")
      }
      try scoreInputs.check(tensor)
      try hessians?.check(tensor)
    }
    if config.scope == .global {
      if case .taylor = config.metric {
        throw .usage("--scope global with --gradients is not supported: it would hold the gradients of every tensor at once")
      }
      let total = plan.pruned.reduce(0) { $0 + $1.elementCount }
      if config.minNonzero > total {
        throw .usage("--min-nonzero \(config.minNonzero) exceeds the \(total) weights of the selected tensors")
      }
    }
    for group in plan.groups where config.minNonzero > group.channels {
      throw .usage(
        "--min-nonzero \(config.minNonzero) exceeds the \(group.channels) channels of the group read by "
          + "\"\(group.consumer.name)\" (in channel groups it counts the channels that survive)")
    }
    if !plan.groups.isEmpty {
      guard ChannelScores.canScore(config.metric) else {
        throw .usage("--pair scores channels by l1, l2, taylor-proxy or random, not \(config.metric.name)")
      }
      if case .semiStructured = config.granularity {
        throw .usage("--pair prunes whole channels by --sparsity: it cannot be combined with --granularity \(config.granularity.name)")
      }
      if config.iterative != nil {
        throw .usage("--pair cannot be combined with --iterative: channel groups follow the reference rule")
      }
    }
  }

  // MARK: - Running

  /// Prunes the checkpoint file into `output`, complete and sealed but not yet renamed into
  /// place (its ``OutputSet`` commits it), and returns what happened to each tensor.
  func run(_ checkpoint: ShardedCheckpoint, plan: Plan, into output: StagedFile)
    throws(CommandLineError) -> [TensorOutcome]
  {
    try stream(checkpoint, plan: plan) { _ in output }
  }

  /// Makes the decisions of `plan` over every shard, lets `check` refuse the shapes they
  /// give before anything is written, then writes each shard, one after another, into the
  /// staged file `destination(shard)` gives, sealed but not renamed into place, and returns
  /// what happened to each tensor.
  func stream(
    _ checkpoint: ShardedCheckpoint, plan: Plan,
    to destination: (ShardedCheckpoint.Shard) throws(CommandLineError) -> StagedFile,
    checking check: ([ModelConfig.Reshaping]) throws(CommandLineError) -> Void = { _ in }
  ) throws(CommandLineError) -> [TensorOutcome] {
    let largest = plan.entries.filter(\.action.isPruning).map(\.info.byteCount).max() ?? 0
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(largest, 1), alignment: 64)
    defer { buffer.deallocate() }
    let decisions = try decide(checkpoint, plan: plan, buffer: buffer)
    try check(
      plan.entries.map { tensor, action in
        ModelConfig.Reshaping(
          name: tensor.name, before: tensor.shape,
          after: outputShape(of: tensor, kept: decisions.kept(tensor, action: action)))
      })
    var progress = ProgressDisplay(
      style: progressStyle, totalTensors: plan.entries.count,
      totalBytes: checkpoint.tensors.reduce(0) { $0 + $1.byteCount })
    progress.shardCount = checkpoint.shards.count
    var outcomes = [TensorOutcome]()
    var bytesDone = 0
    for (shardIndex, shard) in checkpoint.shards.enumerated() where part?.writes(shard) ?? true {
      let entries = plan.entries.filter { checkpoint.shard(of: $0.info).name == shard.name }
      let file = try destination(shard)
      let writer: SafeTensorsWriter
      do {
        writer = try SafeTensorsWriter(
          file: file,
          tensors: entries.map { tensor, action in
            TensorHeader(
              name: tensor.name, dtype: tensor.dtype,
              shape: outputShape(of: tensor, kept: decisions.kept(tensor, action: action)))
          },
          metadata: metadata(shard.file, plan: plan))
      } catch {
        throw .failure("\(error)")
      }
      do {
        for (tensor, action) in entries {
          let outcome = try process(
            tensor, action: action, checkpoint: checkpoint, decisions: decisions,
            buffer: buffer, writer: writer)
          checkpoint.release(tensor)
          progress.update(
            index: outcomes.count, name: tensor.name, bytesDone: bytesDone + tensor.byteCount,
            action: outcome.skipReason == nil ? "pruned" : "copied")
          outcomes.append(outcome)
          bytesDone += tensor.byteCount
        }
        try writer.finishWriting()
      } catch let error as CommandLineError {
        writer.abandon()
        throw error
      } catch {
        writer.abandon()
        throw .failure("\(error)")
      }
      progress.finishedShard(shardIndex, name: shard.name, tensors: entries.count)
    }
    return outcomes
  }

  /// Writes one tensor and says what happened to it.
  private func process(
    _ tensor: TensorInfo, action: Action, checkpoint: ShardedCheckpoint, decisions: Decisions,
    buffer: UnsafeMutableRawBufferPointer, writer: SafeTensorsWriter
  ) throws -> TensorOutcome {
    try checkpoint.checkNotTruncated(tensor)
    let before = checkpoint.withBytes(of: tensor) {
      ZeroCount.nonzero(in: $0, dtype: tensor.dtype, count: tensor.elementCount)
    }
    if case .copy = action {
      try checkpoint.withBytes(of: tensor) { bytes throws(SafeTensorsError) in try writer.append(bytes) }
      return TensorOutcome(
        info: tensor, action: action, outputShape: tensor.shape, nonzeroBefore: before,
        nonzeroAfter: before, kept: nil, scoreSource: nil, pattern: nil)
    }
    let kept = decisions.kept(tensor, action: action)
    let shape = outputShape(of: tensor, kept: kept)
    let count = shape.reduce(1, *)
    let written = UnsafeMutableRawBufferPointer(
      rebasing: buffer[0 ..< count * tensor.dtype.bitWidth / 8])
    if compact, let kept {
      checkpoint.withBytes(of: tensor) { kept.compact($0, shape: tensor.shape, dtype: tensor.dtype, into: written) }
    } else {
      checkpoint.withBytes(of: tensor) { written.copyMemory(from: $0) }
      if let kept {
        kept.zeroOthers(written, shape: tensor.shape, dtype: tensor.dtype)
      } else if let sparseGPT {
        try sparseGPT.prune(written, tensor: tensor)
      } else {
        do {
          try PrunableBuffer.prune(
            written, dtype: tensor.dtype, shape: tensor.shape, name: tensor.name, with: pruner,
            input: try decisions.rankedInputs[tensor.name]
              ?? scoreInputs.input(for: tensor, threads: pruner.threadCount),
            following: decisions.globalCut)
        } catch let error as PruningError {
          throw CommandLineError.failure("\(input): \(error)")
        }
      }
    }
    let after = ZeroCount.nonzero(
      in: UnsafeRawBufferPointer(written), dtype: tensor.dtype, count: count)
    var pattern: PruneReport.Pattern?
    if action == .prune, case .semiStructured(let keep, let group) = pruner.config.granularity {
      pattern = PruneReport.Pattern(
        keep: keep, of: group,
        satisfied: PrunableBuffer.satisfiesPattern(
          UnsafeRawBufferPointer(written), dtype: tensor.dtype, columns: tensor.shape[1],
          keep: keep, of: group))
    }
    if let pictures {
      checkpoint.withBytes(of: tensor) {
        pictures.add(tensor, shape: shape, before: $0, after: UnsafeRawBufferPointer(written))
      }
    }
    let error =
      action == .prune && shape == tensor.shape
      ? try outputError(tensor, checkpoint: checkpoint, written: UnsafeRawBufferPointer(written))
      : nil
    try writer.append(UnsafeRawBufferPointer(written))
    return TensorOutcome(
      info: tensor, action: action, outputShape: shape, nonzeroBefore: before,
      nonzeroAfter: after, kept: kept,
      scoreSource: action != .prune ? scoreInputs.source(of: pruner.config.metric) + " (channel group)"
        : sparseGPT.map { "Hessians (\($0.hessians.file.path))" }
        ?? scoreInputs.source(of: pruner.config.metric),
      pattern: pattern, keptWeightsUpdated: action == .prune && sparseGPT != nil,
      relativeOutputError: error)
  }

  /// The relative output error of a pruned tensor, when Hessians were given.
  private func outputError(
    _ tensor: TensorInfo, checkpoint: ShardedCheckpoint, written: UnsafeRawBufferPointer
  ) throws(CommandLineError) -> Double? {
    guard let hessians else { return nil }
    func measure(_ original: Span<Float>, _ pruned: Span<Float>) -> Result<Double, CommandLineError> {
      Result { () throws(CommandLineError) in
        try hessians.relativeOutputError(
          of: tensor, original: original, pruned: pruned, threads: pruner.threadCount)
      }
    }
    // F32 weights are read where they lie, the input mapped and the output in the buffer;
    // only F16 and BF16 are widened into copies.
    guard tensor.dtype == .f32 else {
      let original = checkpoint.withBytes(of: tensor) { FloatValues.widened($0, dtype: tensor.dtype) }
      let pruned = FloatValues.widened(written, dtype: tensor.dtype)
      return try measure(original.span, pruned.span).get()
    }
    return try checkpoint.withBytes(of: tensor) { input in
      withAlignedElements(input, as: Float.self) { original in
        withAlignedElements(written, as: Float.self) { pruned in measure(original, pruned) }
      }
    }.get()
  }

  /// The method in words, for the output's metadata and the report:
  /// `metric granularity [scope] [iterative-mode] [compacted]`, e.g. `l2 rows compacted`.
  var method: String {
    let config = pruner.config
    var words = "\(metricName) \(config.granularity.name)"
    if config.scope != .tensor { words += " \(config.scope.rawValue)" }
    if let iterative = config.iterative { words += " iterative-\(iterative.rawValue)" }
    if compact { words += " compacted" }
    return words
  }

  /// The metric's name: `sparsegpt`, or the pruner's metric.
  var metricName: String {
    sparseGPT == nil ? pruner.config.metric.name : "sparsegpt"
  }

  /// The shape `tensor` is written with: smaller when its kept rows or columns are compacted.
  private func outputShape(of tensor: TensorInfo, kept: KeptIndices?) -> [Int] {
    compact ? kept?.compactedShape(of: tensor.shape) ?? tensor.shape : tensor.shape
  }

  /// A file's metadata with Bonsai's keys added.
  private func metadata(_ file: SafeTensorsFile, plan: Plan) -> [String: String] {
    var metadata = file.metadata
    metadata["bonsai.version"] = Bonsai.version
    metadata["bonsai.method"] = method
    metadata["bonsai.sparsity"] = "\(pruner.config.sparsity)"
    metadata["bonsai.pruned_tensors"] = "\(plan.entries.filter(\.action.isPruning).count)"
    return metadata
  }
}

extension CheckpointPruning.Action {
  /// Whether the tensor is pruned (not copied).
  var isPruning: Bool {
    if case .copy = self { false } else { true }
  }
}
