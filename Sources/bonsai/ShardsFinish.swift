import ArgumentParser
import ModelFolders
import SafeTensors

extension Bonsai.Shards {
  /// `bonsai shards finish`: the pruned shards assembled into the output folder.
  struct ShardsFinish: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "finish",
      abstract: "Move the pruned shards into OUTDIR with the index and every other file.",
      discussion: """
        Builds OUTDIR as bonsai prune does — in a temporary folder next to it, renamed \
        into place when complete (--replace swaps an existing one) — from the shards in \
        FROM (moved, not copied: FROM must be on OUTDIR's file system), the index with the \
        new total size, and every other file of the model folder copied byte for byte.
        """)

    @Option(help: "The folder holding every pruned shard, from prune.")
    var from: String

    @OptionGroup var prune: PruneArguments

    func run() throws {
      try reportingErrors {
        let run = try ShardedRun(prune)
        let pruning = run.folderPruning
        try pruning.checkPaths()
        var totalSize = 0
        var totalParameters = 0
        let target: FolderOutput
        do {
          target = try FolderOutput(
            destination: pruning.output, replacing: run.command.replace,
            syncsToDisk: run.job.syncsToDisk)
          for shard in run.folder.checkpoint.shards {
            let path = "\(from)/\(shard.name)"
            let written = try CheckpointFile.open(path)
            totalSize += written.tensors.reduce(0) { $0 + $1.byteCount }
            totalParameters += written.tensors.reduce(0) { $0 + $1.elementCount }
            try target.move(path, as: shard.name)
          }
        } catch let error as CommandLineError {
          throw error
        } catch {
          throw CommandLineError.failure("\(error)")
        }
        try pruning.complete(
          target, totalSize: totalSize, totalParameters: totalParameters, sizeChanges: [])
      }
    }
  }
}
