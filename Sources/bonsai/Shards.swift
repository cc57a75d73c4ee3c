import ArgumentParser

extension Bonsai {
  /// `bonsai shards`: the steps of pruning a model folder on many machines, each run by one
  /// task on the shards it names (the `bonsai-ray` driver calls them; see
  /// docs/many-machines.md).
  struct Shards: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "The steps of pruning a model folder on many machines, shard by shard.",
      discussion: """
        Every step takes its own options first, then the model folder and the options of \
        `bonsai prune` exactly as that command takes them (-o OUTDIR included): each step \
        plans the whole folder as `bonsai prune` does (reading every shard's header, no \
        shard's tensors), so that every decision comes out the same, then reads only the \
        shard it is given. The folder assembled by `finish` is byte for byte the folder \
        `bonsai prune` writes. Order: plan; with --scope global, count every shard, cut, \
        count again inside the bin the cut names, cut; with --pair, channels for every \
        group; prune every shard; finish.
        """,
      subcommands: [
        ShardsPlan.self, ShardsCount.self, ShardsCut.self, ShardsChannels.self, ShardsPrune.self,
        ShardsFinish.self,
      ])
  }
}

/// The model folder and the options of `bonsai prune`, as every step of `bonsai shards`
/// takes them after its own options.
struct PruneArguments: ParsableArguments {
  @Argument(
    parsing: .captureForPassthrough,
    help: ArgumentHelp(
      "The model folder, then the options of `bonsai prune` (-o OUTDIR included).",
      valueName: "DIR [options of bonsai prune]"))
  var arguments: [String] = []

  /// `--help` among the passed-through arguments asks for the step's help, not for that of
  /// `bonsai prune` (which the step's own parsing would otherwise give, as the root's).
  func validate() throws {
    if arguments.prefix(while: { $0 != "--" }).contains(where: { $0 == "--help" || $0 == "-h" }) {
      throw CleanExit.helpRequest()
    }
  }

  /// The options, parsed and checked as `bonsai prune` parses them.
  func parsed() throws -> Bonsai.Prune {
    try Bonsai.Prune.parse(arguments)
  }
}
