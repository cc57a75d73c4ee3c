import ArgumentParser
import Foundation

extension Bonsai.Shards {
  /// `bonsai shards channels`: the channels one `--pair` group keeps.
  struct ShardsChannels: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "channels",
      abstract: "Choose the channels one --pair group keeps, from its members alone.",
      discussion: """
        Scores the channels of group GROUP (0 ≤ GROUP < the plan's "groups") over its \
        producers and consumer, in name order as bonsai prune does, and writes {"group", \
        "consumer", "kept"} as JSON. Reads the group's tensors only, from whichever shards \
        hold them.
        """)

    @Option(help: "The group, by its index in the plan.")
    var group: Int

    @Option(name: .shortAndLong, help: "Where to write the kept channels (JSON).")
    var output: String

    @OptionGroup var prune: PruneArguments

    func run() throws {
      try reportingErrors {
        let run = try ShardedRun(prune, writes: [("-o", output)])
        guard run.plan.groups.indices.contains(group) else {
          throw CommandLineError.usage(
            "--group \(group): the plan has \(run.plan.groups.count) channel groups")
        }
        let members = run.plan.groups[group]
        let kept: [Int]
        do {
          kept = try run.job.keptChannels(run.folder.checkpoint, group: members)
        } catch {
          throw CommandLineError.failure("\(run.command.input): \(error)")
        }
        try StepFile.write(
          ShardPart.GroupChannels(group: group, consumer: members.consumer.name, kept: kept),
          step: "channels", job: run.fingerprint, to: output)
      }
    }
  }
}
