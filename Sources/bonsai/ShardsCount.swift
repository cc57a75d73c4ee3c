import ArgumentParser
import Pruning

extension Bonsai.Shards {
  /// `bonsai shards count`: one shard's exact counts of the global ranking's keys.
  struct ShardsCount: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "count",
      abstract: "Count the global ranking's keys of one shard's tensors (--scope global).",
      discussion: """
        Writes a JSON histogram of the keys of the shard's ranked tensors, each scored as \
        bonsai prune scores it: by their upper 16 bits, or with --bin B, the keys whose \
        upper 16 bits are B by their lower 16 bits. Reads this shard's tensors only.
        """)

    @Option(help: "The shard to count, by file name.")
    var shard: String

    @Option(help: "Count the keys of this upper-16-bit bin by their lower 16 bits (the bin `cut` names).")
    var bin: UInt32?

    func validate() throws {
      if let bin, bin > 0xFFFF {
        throw ValidationError("--bin \(bin): an upper-16-bit bin is at most 65535")
      }
    }

    @Option(name: .shortAndLong, help: "Where to write the counts (JSON).")
    var output: String

    @OptionGroup var prune: PruneArguments

    func run() throws {
      try reportingErrors {
        let run = try ShardedRun(prune, writes: [("-o", output)])
        guard run.job.pruner.config.scope == .global else {
          throw CommandLineError.usage("bonsai shards count serves --scope global only")
        }
        let ranked = run.ranked(in: try run.shard(named: shard))
        let tensors = ranked.map(\.info)
        let checkpoint = run.folder.checkpoint
        let histogram = try run.job.withRanked(
          checkpoint, tensors, inputs: try run.job.rankingInputs(tensors)
        ) { ranking throws in
          do {
            return try run.job.pruner.keyHistogram(
              ranking, firstUnits: ranked.map(\.firstUnit), highBin: bin)
          } catch {
            throw CommandLineError.failure("\(run.command.input): \(error)")
          }
        }
        try StepFile.write(histogram, step: "counts", job: run.fingerprint, to: output)
      }
    }
  }
}
