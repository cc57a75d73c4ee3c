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
        let run = try ShardedRun(
          prune, reads: counts.map { ("--counts", $0) } + refined.map { ("--refined", $0) },
          writes: [("-o", output)])
        let ranked = run.job.ranking(run.plan)
        let names = ranked.map(\.info.name)
        let coarse = try Self.merged(counts, option: "--counts", run: run)
        if let missing = names.first(where: { !coarse.tensors.contains($0) }) {
          throw CommandLineError.failure("no counts for tensor \"\(missing)\": count every shard")
        }
        let fine = refined.isEmpty ? nil : try Self.merged(refined, option: "--refined", run: run)
        let step: SplitRankingStep
        do {
          step = try run.job.pruner.splitRankingStep(
            names: names, totalCount: ranked.reduce(0) { $0 + $1.info.elementCount },
            coarse: coarse, fine: fine)
        } catch {
          throw CommandLineError.failure("the counts given do not fit this job: \(error)")
        }
        let output: Output
        switch step {
        case .refine(let bin):
          output = Output(refine: bin, cut: nil)
        case .cut(let cut):
          try StepFile.write(cut, step: "cut", job: run.fingerprint, to: self.output)
          output = Output(refine: nil, cut: self.output)
        }
        try JSONOutput.print(output)
      }
    }

    /// The counts of `paths` (given with `option`) added up: each of this job, counting the
    /// same bin as the first and tensors no other file counts; a file that does not fits is
    /// named, with the file it clashes with.
    private static func merged(_ paths: [String], option: String, run: ShardedRun)
      throws(CommandLineError) -> KeyHistogram
    {
      var merged: KeyHistogram?
      var counter = [String: String]()
      for path in paths {
        let counts = try StepFile<KeyHistogram>.read("counts", job: run.fingerprint, from: path)
        var total = merged ?? KeyHistogram.empty(highBin: counts.highBin)
        if let first = paths.first, counts.highBin != total.highBin {
          throw .failure(
            "\(path): counts \(Self.bin(counts.highBin)), but \(first) \(Self.bin(total.highBin)): "
              + "give \(option) the counts of one round")
        }
        if let tensor = counts.tensors.sorted().first(where: { counter[$0] != nil }),
          let other = counter[tensor]
        {
          throw .failure(
            "\(path): counts tensor \"\(tensor)\", which \(other) counts too: give each shard's counts once")
        }
        guard total.merge(counts) else {
          throw .failure("\(path): its counts and the others' together overflow")
        }
        for tensor in counts.tensors { counter[tensor] = path }
        merged = total
      }
      return merged ?? KeyHistogram.empty(highBin: nil)
    }

    /// Which keys a histogram counts, for messages.
    private static func bin(_ highBin: UInt32?) -> String {
      highBin.map { "the keys of bin \($0)" } ?? "every key by its upper bits"
    }
  }
}
