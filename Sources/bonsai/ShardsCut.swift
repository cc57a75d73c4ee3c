import ArgumentParser
import Pruning

extension Bonsai.Shards {
  /// `bonsai shards cut`: merges every shard's counts into the global ranking's cut.
  struct ShardsCut: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "cut",
      abstract: "Merge the counts of every shard into the cut of the global ranking.",
      discussion: """
        With the counts of every shard (from count), prints {"refine": B}: count every \
        shard again with --bin B; with those counts too (--refined), writes the cut to -o \
        and prints {"cut": PATH}. The cut is the threshold key and, per tensor, how many of \
        its keys equal to it are pruned: ties go to the tensor whose name comes first, then \
        to the lower index, as bonsai prune breaks them.
        """)

    /// The next step, printed as JSON.
    struct Output: Encodable {
      let refine: UInt32?
      let cut: String?
    }

    @Option(help: "The upper-bit counts of a shard (repeat for every shard).")
    var counts: [String] = []

    @Option(help: "The lower-bit counts of a shard inside the bin named by the previous cut (repeat for every shard).")
    var refined: [String] = []

    @Option(name: .shortAndLong, help: "Where to write the cut (JSON) once it is known.")
    var output: String

    @OptionGroup var prune: PruneArguments

    func run() throws {
      try reportingErrors {
        let run = try ShardedRun(prune, writes: [("-o", output)])
        let ranked = run.job.ranking(run.plan)
        let names = ranked.map(\.info.name)
        let coarse = try Self.merged(counts, highBin: nil)
        if let missing = names.first(where: { !coarse.tensors.contains($0) }) {
          throw CommandLineError.failure("no counts for tensor \"\(missing)\": count every shard")
        }
        let fine = refined.isEmpty ? nil : try Self.merged(refined, highBin: Self.highBin(of: refined[0]))
        let step = try run.job.pruner.splitRankingStep(
          names: names, totalCount: ranked.reduce(0) { $0 + $1.info.elementCount },
          coarse: coarse, fine: fine)
        let output: Output
        switch step {
        case .refine(let bin):
          output = Output(refine: bin, cut: nil)
        case .cut(let cut):
          try JSONOutput.write(cut, to: self.output)
          output = Output(refine: nil, cut: self.output)
        }
        try JSONOutput.print(output)
      }
    }

    /// The bin the counts at `path` count.
    private static func highBin(of path: String) throws(CommandLineError) -> UInt32? {
      try ShardedRun.read(KeyHistogram.self, from: path).highBin
    }

    /// The counts of `paths` added up; each must count bin `highBin` and other tensors.
    private static func merged(_ paths: [String], highBin: UInt32?) throws(CommandLineError) -> KeyHistogram {
      var merged = KeyHistogram.empty(highBin: highBin)
      for path in paths {
        guard merged.merge(try ShardedRun.read(KeyHistogram.self, from: path)) else {
          throw .failure("\(path) counts another bin, or tensors counted already")
        }
      }
      return merged
    }
  }
}
