import ArgumentParser
import Pruning

extension Bonsai.Shards {
  /// `bonsai shards prune`: one shard pruned as `bonsai prune` prunes it.
  struct ShardsPrune: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "prune",
      abstract: "Prune one shard of a model folder into a folder of pruned shards.",
      discussion: """
        Writes INTO/SHARD (atomically: a temporary file renamed into place; what killed \
        attempts left is not reaped, since on a shared file system its writer may run on \
        another machine), byte for byte the shard bonsai prune writes into \
        OUTDIR. Reads this shard's tensors only; with --scope global it prunes them by the \
        cut from `bonsai shards cut`, and --pair groups keep the channels chosen by \
        `bonsai shards channels`.
        """)

    @Option(help: "The shard to prune, by file name.")
    var shard: String

    @Option(help: "The global ranking's cut, from cut (needed with --scope global).")
    var cut: String?

    @Option(help: "The channels a --pair group keeps, from channels (repeat for every group).")
    var channels: [String] = []

    @Option(help: "The folder to write the pruned shard into (on the same file system as OUTDIR).")
    var into: String

    @OptionGroup var prune: PruneArguments

    func run() throws {
      try reportingErrors {
        let shardPath = "\(into)/\(shard)"
        var run = try ShardedRun(
          prune, reads: (cut.map { [("--cut", $0)] } ?? []) + channels.map { ("--channels", $0) },
          writes: [("--into", shardPath), ("--into", PrunedShardRecord.path(of: shardPath))])
        let global = run.job.pruner.config.scope == .global
        if global != (cut != nil) {
          throw CommandLineError.usage(
            global ? "--scope global needs --cut FILE: the cut of every shard's counts"
              : "--cut serves --scope global only")
        }
        let shard = try run.shard(named: shard)
        run.job.part = ShardPart(
          shard: shard.name,
          cut: try cut.map { path throws(CommandLineError) in try Self.cut(at: path, for: run) },
          channels: try keptChannels(run))
        // Not reaped here: on a shared file system a killed attempt's writer may be a live
        // process of another machine (the driver removes the whole folder at the end).
        let outputs = OutputSet(syncsToDisk: !run.command.noSync)
        let file = try outputs.stage(
          "\(into)/\(shard.name)", removingLeftovers: false,
          permissionsOf: "\(run.folder.path)/\(shard.name)")
        _ = try run.job.stream(run.folder.checkpoint, plan: run.plan) { _ in file }
        try outputs.commit()
        // The record says what was written, for finish to check; a shard without one (the
        // run killed in between) is refused there, and pruned again.
        let written = try CheckpointFile.open(file.destination)
        try StepFile.write(
          PrunedShardRecord(shard: shard.name, file: written), step: "shard", job: run.fingerprint,
          to: PrunedShardRecord.path(of: file.destination))
      }
    }

    /// The cut at `path`, checked against the ranking of `run`: its counts are this
    /// ranking's, and its tie quotas name ranked tensors.
    private static func cut(at path: String, for run: ShardedRun) throws(CommandLineError) -> SplitCut {
      let cut = try StepFile<SplitCut>.read("cut", job: run.fingerprint, from: path)
      let ranked = run.job.ranking(run.plan)
      let total = ranked.reduce(0) { $0 + $1.info.elementCount }
      guard cut.totalCount == total else {
        throw .failure("\(path): field totalCount is \(cut.totalCount), the ranking holds \(total) weights")
      }
      let names = Set(ranked.map(\.info.name))
      if let unknown = cut.tieQuotas.keys.sorted().first(where: { !names.contains($0) }) {
        throw .failure("\(path): field tieQuotas names \"\(unknown)\", which is not ranked")
      }
      let config = run.job.pruner.config
      // With iterative pruning the zeros already there count too: only cut knew them.
      let k = config.prunedUnitCount(units: total, unitSize: 1)
      guard config.iterative != nil || cut.prunedCount == k else {
        throw .failure("\(path): field prunedCount is \(cut.prunedCount), this job prunes \(k)")
      }
      return cut
    }

    /// Per group of `plan`, the channels it keeps, read from `--channels`: one file for
    /// every group, each the group planned.
    private func keptChannels(_ run: ShardedRun) throws(CommandLineError) -> [[Int]] {
      let plan = run.plan
      var kept = [[Int]?](repeating: nil, count: plan.groups.count)
      for path in channels {
        let group = try StepFile<ShardPart.GroupChannels>.read(
          "channels", job: run.fingerprint, from: path)
        guard plan.groups.indices.contains(group.group),
          plan.groups[group.group].consumer.name == group.consumer
        else {
          throw .failure("\(path): channels of a group that is not in the plan (\(group.consumer))")
        }
        guard kept[group.group] == nil else {
          throw .usage("--channels \(path): group \(group.group) is given twice")
        }
        let channels = plan.groups[group.group].channels
        let expected = channels - run.job.pruner.config.prunedUnitCount(units: channels, unitSize: 1)
        if let problem = Self.problem(ofKept: group.kept, channels: channels, expected: expected) {
          throw .failure("\(path): field kept: \(problem)")
        }
        kept[group.group] = group.kept
      }
      if let missing = kept.firstIndex(where: { $0 == nil }) {
        throw .usage(
          "--pair needs --channels FILE for every channel group: none for group \(missing) "
            + "(\(plan.groups[missing].consumer.name))")
      }
      return kept.compactMap { $0 }
    }

    /// What is wrong with `kept` as the channels a group of `channels` keeps, `expected` of
    /// them, ascending; nil when nothing is.
    private static func problem(ofKept kept: [Int], channels: Int, expected: Int) -> String? {
      guard kept.count == expected else {
        return "\(kept.count) channels, where this job keeps \(expected) of \(channels)"
      }
      for (index, channel) in kept.enumerated() {
        guard (0 ..< channels).contains(channel) else {
          return "channel \(channel) is not one of the group's \(channels)"
        }
        if index > 0, channel <= kept[index - 1] {
          return "\(channel) after \(kept[index - 1]): channels must ascend, each once"
        }
      }
      return nil
    }
  }
}
