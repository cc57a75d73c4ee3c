#if canImport(Glibc)
  import Glibc
#endif
import ArgumentParser
import Foundation
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
        FROM (moved, not copied: linked into the folder, and removed from FROM once OUTDIR \
        is in place, so that a run that fails or is stopped leaves them in FROM; FROM must \
        be on OUTDIR's file system), the index with the new total size, config.json with \
        the sizes --compact changed (refused, as by bonsai prune, when layers would \
        differ), and every other file copied byte for byte.
        """)

    @Option(help: "The folder holding every pruned shard, from prune.")
    var from: String

    @OptionGroup var prune: PruneArguments

    func run() throws {
      try reportingErrors {
        let run = try ShardedRun(prune, folders: [("--from", from)])
        let pruning = run.folderPruning
        try pruning.checkPaths()
        // OUTDIR is written as bonsai prune writes it, and its shards come out of FROM: FROM
        // may not be OUTDIR, nor lie inside it (where replacing it, or clearing FROM after
        // the rename, would remove the shards just put in place).
        try FileRoles(reads: run.command.reads + [("--from", from)], folderWrites: [("-o", pruning.output)])
          .check()
        FolderPruning.removeLeftovers(of: pruning.output)
        var written = [(shard: String, file: SafeTensorsFile)]()
        for shard in run.folder.checkpoint.shards {
          written.append((shard.name, try Self.prunedShard("\(from)/\(shard.name)", of: run)))
        }
        let tensors = written.flatMap(\.file.tensors)
        let inputs = run.folder.checkpoint.tensors
        guard tensors.map(\.name) == inputs.map(\.name) else {
          throw CommandLineError.failure(
            "the shards in \(from) do not hold the tensors of \(run.folder.path) in its order")
        }
        // Compaction's new sizes, checked as bonsai prune checks them before writing.
        let sizeChanges = try pruning.checkSizes(
          zip(inputs, tensors).map { input, tensor in
            ModelConfig.Reshaping(name: input.name, before: input.shape, after: tensor.shape)
          })
        let target: FolderOutput
        do {
          target = try FolderOutput(
            destination: pruning.output, replacing: run.command.replace,
            syncsToDisk: !run.command.noSync, permissionsOf: run.folder.path)
        } catch {
          throw CommandLineError.failure("\(error)")
        }
        // The shards are linked in, not renamed: removing the folder (a signal, a failure)
        // removes only their second names, and FROM keeps them for the next attempt.
        let registration = SignalCleanup.FolderRegistration(target)
        do {
          try pruning.complete(
            target, totalSize: tensors.reduce(0) { $0 + $1.byteCount },
            totalParameters: tensors.reduce(0) { $0 + $1.elementCount }, sizeChanges: sizeChanges)
          for (shard, _) in written { try target.link("\(from)/\(shard)", as: shard) }
        } catch {
          registration.release()
          target.abandon()
          throw error as? CommandLineError ?? .failure("\(error)")
        }
        try SignalCleanup.holdingSignals { () throws(CommandLineError) in
          registration.release()
          do {
            FolderPruning.tell(try target.commit(), replacing: target.destination)
          } catch {
            throw .failure("\(error)")
          }
        }
        // In place: the shards leave FROM.
        for (shard, _) in written where unlink("\(from)/\(shard)") != 0 {
          Terminal.standardError.writeLine(
            "bonsai: warning: cannot remove \(from)/\(shard) (now in \(pruning.output)): \(String(cString: strerror(errno)))")
        }
        for (shard, _) in written { _ = unlink(PrunedShardRecord.path(of: "\(from)/\(shard)")) }
      }
    }

    /// The shard at `path`, opened once checked to be what `bonsai shards prune` wrote for
    /// this job: a file of FROM itself (a link would put another file into OUTDIR), whose
    /// record is of this job and still describes it.
    private static func prunedShard(_ path: String, of run: ShardedRun) throws(CommandLineError)
      -> SafeTensorsFile
    {
      var status = stat()
      if lstat(path, &status) == 0, status.st_mode & S_IFMT != S_IFREG {
        throw .usage(
          "--from: \(path) is not a regular file (a link?): finish moves the files prune wrote, "
            + "nothing else")
      }
      let file = try CheckpointFile.open(path)
      let recordPath = PrunedShardRecord.path(of: path)
      let name = String(path.split(separator: "/").last ?? "")
      guard FileManager.default.fileExists(atPath: recordPath) else {
        throw .failure(
          "\(path): no record \(recordPath), so not written by bonsai shards prune (or its run "
            + "was stopped): prune it again")
      }
      let record = try StepFile<PrunedShardRecord>.read("shard", job: run.fingerprint, from: recordPath)
      guard record == PrunedShardRecord(shard: name, file: file) else {
        throw .failure(
          "\(path): not the shard bonsai shards prune wrote (its record \(recordPath) describes "
            + "another file): prune it again")
      }
      return file
    }
  }
}
