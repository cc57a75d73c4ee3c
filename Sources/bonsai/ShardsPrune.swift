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
        var run = try ShardedRun(
          prune, reads: (cut.map { [("--cut", $0)] } ?? []) + channels.map { ("--channels", $0) },
          writes: [("--into", "\(into)/\(shard)")])
        let global = run.job.pruner.config.scope == .global
        if global != (cut != nil) {
          throw CommandLineError.usage(
            global ? "--scope global needs --cut FILE: the cut of every shard's counts"
              : "--cut serves --scope global only")
        }
        let shard = try run.shard(named: shard)
        run.job.part = ShardPart(
          shard: shard.name,
          cut: try cut.map { path throws(CommandLineError) in
            try ShardedRun.read(SplitCut.self, from: path)
          },
          channels: try keptChannels(run.plan))
        // Not reaped here: on a shared file system a killed attempt's writer may be a live
        // process of another machine (the driver removes the whole folder at the end).
        let outputs = OutputSet(syncsToDisk: !run.command.noSync)
        let file = try outputs.stage(
          "\(into)/\(shard.name)", removingLeftovers: false,
          permissionsOf: "\(run.folder.path)/\(shard.name)")
        _ = try run.job.stream(run.folder.checkpoint, plan: run.plan) { _ in file }
        try outputs.commit()
      }
    }

    /// Per group of `plan`, the channels it keeps, read from `--channels`: one file for
    /// every group, each the group planned.
    private func keptChannels(_ plan: CheckpointPruning.Plan) throws(CommandLineError) -> [[Int]] {
      var kept = [[Int]?](repeating: nil, count: plan.groups.count)
      for path in channels {
        let group = try ShardedRun.read(ShardPart.GroupChannels.self, from: path)
        guard plan.groups.indices.contains(group.group),
          plan.groups[group.group].consumer.name == group.consumer
        else {
          throw .failure("\(path): channels of a group that is not in the plan (\(group.consumer))")
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
  }
}
