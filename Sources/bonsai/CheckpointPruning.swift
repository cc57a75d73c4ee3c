import Foundation
import ModelFolders
import Pruning
import SafeTensors

/// The one code path that prunes a checkpoint, a file or the shards of a model folder, used
/// by `bonsai prune` and `bonsai demo`: read the headers, decide per tensor, make the
/// decisions that need more than one tensor (a global ranking, channel groups) or a tensor's
/// final shape (compaction) over every shard at once, then stream shard by shard, tensor by
/// tensor, into one atomic writer per shard — each pruned tensor's mask decided on the mapped
/// input while the tensor before it is written (`MaskReadAhead`), then the input copied
/// through it into the file in cache-sized chunks that count what the report needs
/// (`TensorAppender`); the others copied byte for byte the same way. Only tensors whose new
/// values need them whole (SparseGPT, channel groups, compaction, pictures, output errors)
/// go through a buffer of the largest.
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
    let decisions = try decide(checkpoint, plan: plan)
    let buffer = wholeTensorBuffer(plan)
    defer { buffer?.deallocate() }
    let appender = TensorAppender()
    var masks = maskReadAhead(
      checkpoint, plan: plan, decisions: decisions, readingAhead: buffer == nil)
    defer { masks.settle() }
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
    // Each shard's entries, in plan order, found in one walk (not one per shard).
    let entriesByShard = Dictionary(grouping: plan.entries) { checkpoint.shard(of: $0.info).name }
    for (shardIndex, shard) in checkpoint.shards.enumerated() where part?.writes(shard) ?? true {
      let entries = entriesByShard[shard.name] ?? []
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
            masks: &masks, buffer: buffer, appender: appender, writer: writer)
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

  /// Room for the largest pruned tensor, when some tensor is written whole before it is
  /// appended (SparseGPT, channel groups, compaction) or read as written afterwards (the
  /// pictures, the output error); nil when every tensor streams from the input to the file.
  private func wholeTensorBuffer(_ plan: Plan) -> UnsafeMutableRawBufferPointer? {
    guard sparseGPT != nil || compact || !plan.groups.isEmpty || pictures != nil || hessians != nil
    else { return nil }
    let largest = plan.entries.filter(\.action.isPruning).map(\.info.byteCount).max() ?? 0
    return .allocate(byteCount: max(largest, 1), alignment: 64)
  }

  /// Whether `tensor` is pruned by a mask, decided on the input and applied as it is
  /// streamed into the file (rather than made whole in a buffer first).
  private func isMasked(_ tensor: TensorInfo, action: Action, decisions: Decisions) -> Bool {
    action == .prune && sparseGPT == nil && decisions.kept(tensor, action: action) == nil
  }

  /// The masks of the tensors this run streams through a mask, in writing order, each
  /// decided while the tensor before it is written when `readingAhead`.
  private func maskReadAhead(
    _ checkpoint: ShardedCheckpoint, plan: Plan, decisions: Decisions, readingAhead: Bool
  ) -> MaskReadAhead {
    let masked = plan.entries.filter { tensor, action in
      (part?.writes(checkpoint.shard(of: tensor)) ?? true)
        && isMasked(tensor, action: action, decisions: decisions)
    }
    let (pruner, scoreInputs, source) = (pruner, scoreInputs, input)
    let (rankedInputs, globalCut) = (decisions.rankedInputs, decisions.globalCut)
    return MaskReadAhead(masked.map(\.info), readingAhead: readingAhead) { tensor in
      Result { () throws(CommandLineError) in
        do {
          try checkpoint.checkNotTruncated(tensor)
        } catch {
          throw CommandLineError.failure("\(error)")
        }
        let input =
          if let ranked = rankedInputs[tensor.name] { ranked } else {
            try scoreInputs.input(for: tensor, threads: pruner.threadCount)
          }
        do {
          return try checkpoint.withBytes(of: tensor) { bytes throws(PruningError) in
            try PrunableBuffer.mask(
              of: bytes, dtype: tensor.dtype, shape: tensor.shape, name: tensor.name,
              with: pruner, input: input, following: globalCut)
          }
        } catch {
          throw CommandLineError.failure("\(source): \(error)")
        }
      }
    }
  }

  /// Writes one tensor and says what happened to it.
  ///
  /// A tensor pruned by a mask streams: the mask is decided on the mapped input (a dry run),
  /// then the counting copy writes the input through it into the file chunk by chunk,
  /// counting on the way. A tensor whose new values need it whole (SparseGPT, channel
  /// groups, compaction) is made in `buffer` first, then streamed from there.
  private func process(
    _ tensor: TensorInfo, action: Action, checkpoint: ShardedCheckpoint, decisions: Decisions,
    masks: inout MaskReadAhead, buffer: UnsafeMutableRawBufferPointer?,
    appender: TensorAppender, writer: SafeTensorsWriter
  ) throws -> TensorOutcome {
    try checkpoint.checkNotTruncated(tensor)
    if case .copy = action {
      let copied = try checkpoint.withBytes(of: tensor) { bytes throws(SafeTensorsError) in
        try appender.append(bytes, dtype: tensor.dtype, to: writer)
      }
      return TensorOutcome(
        info: tensor, action: action, outputShape: tensor.shape,
        nonzeroBefore: copied.counts.source, nonzeroAfter: copied.counts.written, kept: nil,
        scoreSource: nil, pattern: nil)
    }
    let kept = decisions.kept(tensor, action: action)
    let shape = outputShape(of: tensor, kept: kept)
    var semiStructured: (keep: Int, group: Int)?
    if action == .prune, case .semiStructured(let keep, let group) = pruner.config.granularity {
      semiStructured = (keep, group)
    }
    let measured = action == .prune && shape == tensor.shape && hessians != nil
    let streamed =
      isMasked(tensor, action: action, decisions: decisions)
      ? try streamMasked(
        tensor, mask: try masks.mask(of: tensor), checkpoint: checkpoint,
        landingIn: pictures != nil || measured ? buffer : nil,
        recordingNonzeros: semiStructured != nil, appender: appender, writer: writer)
      : try streamRebuilt(
        tensor, kept: kept, shape: shape, checkpoint: checkpoint, buffer: buffer,
        recordingNonzeros: semiStructured != nil, appender: appender, writer: writer)
    if let pictures, let written = streamed.written {
      checkpoint.withBytes(of: tensor) { pictures.add(tensor, shape: shape, before: $0, after: written) }
    }
    let error =
      measured
      ? try streamed.written.flatMap { try outputError(tensor, checkpoint: checkpoint, written: $0) }
      : nil
    return TensorOutcome(
      info: tensor, action: action, outputShape: shape, nonzeroBefore: streamed.nonzeroBefore,
      nonzeroAfter: streamed.appended.counts.written, kept: kept,
      scoreSource: action != .prune ? scoreInputs.source(of: pruner.config.metric) + " (channel group)"
        : sparseGPT.map { "Hessians (\($0.hessians.file.path))" }
        ?? scoreInputs.source(of: pruner.config.metric),
      pattern: semiStructured.map { pattern in
        PruneReport.Pattern(
          keep: pattern.keep, of: pattern.group,
          satisfied: streamed.appended.nonzeroBits?.satisfies(keep: pattern.keep, of: pattern.group)
            ?? false)
      },
      keptWeightsUpdated: action == .prune && sparseGPT != nil,
      relativeOutputError: error)
  }

  /// What streaming one pruned tensor into the file found.
  private struct Streamed {
    /// The input's nonzero elements.
    let nonzeroBefore: Int
    /// What the append counted and recorded of the written tensor.
    let appended: TensorAppender.Appended
    /// The written tensor, when it is also whole in memory.
    let written: UnsafeRawBufferPointer?
  }

  /// A tensor pruned by its mask, applied as the input is copied into the file; the written
  /// tensor lands in `landing` too when given.
  private func streamMasked(
    _ tensor: TensorInfo, mask: PruningMask, checkpoint: ShardedCheckpoint,
    landingIn landing: UnsafeMutableRawBufferPointer?, recordingNonzeros: Bool,
    appender: TensorAppender, writer: SafeTensorsWriter
  ) throws -> Streamed {
    let whole = landing.map { UnsafeMutableRawBufferPointer(rebasing: $0[0 ..< tensor.byteCount]) }
    let appended = try checkpoint.withBytes(of: tensor) { bytes throws(SafeTensorsError) in
      try appender.append(
        bytes, dtype: tensor.dtype, keeping: mask, landingIn: whole,
        recordingNonzeros: recordingNonzeros, to: writer)
    }
    return Streamed(
      nonzeroBefore: appended.counts.source, appended: appended,
      written: whole.map(UnsafeRawBufferPointer.init))
  }

  /// A tensor whose new values are made whole in `buffer` — compacted, its group's channels
  /// kept, or reconstructed by SparseGPT — then appended from there.
  private func streamRebuilt(
    _ tensor: TensorInfo, kept: KeptIndices?, shape: [Int], checkpoint: ShardedCheckpoint,
    buffer: UnsafeMutableRawBufferPointer?, recordingNonzeros: Bool, appender: TensorAppender,
    writer: SafeTensorsWriter
  ) throws -> Streamed {
    guard let buffer else { preconditionFailure("no buffer for a tensor made whole") }
    let written = UnsafeMutableRawBufferPointer(
      rebasing: buffer[0 ..< shape.reduce(1, *) * tensor.dtype.bitWidth / 8])
    let nonzeroBefore: Int
    if compact, let kept {
      nonzeroBefore = checkpoint.withBytes(of: tensor) { bytes in
        kept.compact(bytes, shape: tensor.shape, dtype: tensor.dtype, into: written)
        return ZeroCount.nonzero(in: bytes, dtype: tensor.dtype, count: tensor.elementCount)
      }
    } else {
      nonzeroBefore = checkpoint.withBytes(of: tensor) { bytes in
        CountingCopy.copy(
          bytes, elementSize: tensor.dtype.bitWidth / 8, to: written, keeping: nil,
          writtenNonzero: nil
        ).source
      }
      if let kept {
        kept.zeroOthers(written, shape: tensor.shape, dtype: tensor.dtype)
      } else if let sparseGPT {
        try sparseGPT.prune(written, tensor: tensor)
      }
    }
    let appended = try appender.append(
      UnsafeRawBufferPointer(written), dtype: tensor.dtype, recordingNonzeros: recordingNonzeros,
      to: writer)
    return Streamed(
      nonzeroBefore: nonzeroBefore, appended: appended, written: UnsafeRawBufferPointer(written))
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
