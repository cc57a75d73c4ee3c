import ArgumentParser

extension Bonsai.Shards {
  /// `bonsai shards plan`: checks the options and paths as `bonsai prune` does and says how
  /// the folder is split.
  struct ShardsPlan: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "plan",
      abstract: "Check the options and paths of a run on many machines and print its plan as JSON.",
      discussion: """
        Prints {"shards": [file names], "groups": the number of --pair channel groups, \
        "global": whether the shards' counts must be cut together first, "unsplittable": \
        why the folder must be pruned by one task (--report) or null, "plan": the text \
        bonsai prune prints}. Every usage error of bonsai prune (an option that fits no \
        tensor, an existing OUTDIR) is reported here, before any shard is read.
        """)

    /// What the driver needs to know.
    struct Output: Encodable {
      let shards: [String]
      let groups: Int
      let global: Bool
      let unsplittable: String?
      let plan: String
    }

    @OptionGroup var prune: PruneArguments

    func run() throws {
      try reportingErrors {
        let run = try ShardedRun(prune, writing: false)
        if !run.command.dryRun { try run.folderPruning.checkPaths() }
        let output = Output(
          shards: run.folder.checkpoint.shards.map(\.name), groups: run.plan.groups.count,
          global: run.job.pruner.config.scope == .global, unsplittable: run.unsplittableReason,
          plan: PruneOutput.plan(run.plan, folded: !run.command.verbose))
        try JSONOutput.print(output)
      }
    }
  }
}
