import Foundation
import ModelFolders
import Pruning
import SafeTensors

/// A model folder planned as `bonsai prune` plans it, for one step of `bonsai shards`: the
/// same options give the same plan on every machine, whichever shard the step then reads.
struct ShardedRun {
  /// The options of `bonsai prune`.
  let command: Bonsai.Prune
  /// The folder read.
  let folder: ModelFolder
  /// The pruning.
  var job: CheckpointPruning
  /// The decision for every tensor of every shard.
  let plan: CheckpointPruning.Plan

  /// Opens and plans the folder that `arguments` name; a single file is a usage error.
  ///
  /// A step that writes names what it writes: `writes` (files) and `folders`; each is
  /// checked against what the run reads (the options of `bonsai prune` and the step files
  /// `reads`) as `bonsai prune` checks its outputs, and such a step refuses `--dry-run` and
  /// a run that cannot be split. `bonsai shards plan` writes nothing (`writing: false`).
  init(
    _ arguments: PruneArguments, writing: Bool = true, reads: [FileRoles.Role] = [],
    writes: [FileRoles.Role] = [], folders: [FileRoles.Role] = []
  ) throws {
    command = try arguments.parsed()
    if writing {
      if command.dryRun {
        throw CommandLineError.usage("--dry-run: this step writes; bonsai shards plan shows the plan")
      }
      try FileRoles(reads: command.reads + reads, writes: writes, folderWrites: folders).check()
    }
    let source = try CheckpointInput.open(command.input)
    guard let folder = source.folder else {
      throw CommandLineError.usage(
        "bonsai shards prunes model folders; \(command.input) is a file: use bonsai prune")
    }
    self.folder = folder
    job = try command.pruningJob()
    plan = try job.plan(folder.checkpoint)
    if writing, let reason = unsplittableReason {
      throw CommandLineError.usage("the folder cannot be pruned shard by shard: \(reason)")
    }
  }

  /// The folder's pruning into OUTDIR, as `bonsai prune` runs it.
  var folderPruning: FolderPruning {
    FolderPruning(
      job: job, folder: folder, output: command.output ?? "", replacing: command.replace,
      allowsUnevenSizes: command.allowUneven, syncsToDisk: !command.noSync)
  }

  /// The shard named `name`.
  func shard(named name: String) throws(CommandLineError) -> ShardedCheckpoint.Shard {
    guard let shard = folder.checkpoint.shards.first(where: { $0.name == name }) else {
      throw .usage("no shard \(name) in \(folder.path)")
    }
    return shard
  }

  /// Why the folder cannot be pruned shard by shard, or nil when it can.
  var unsplittableReason: String? {
    if command.report != nil { return "--report lists the tensors of every shard" }
    if command.reportHTML != nil { return "--report-html draws the tensors of every shard" }
    return nil
  }

  /// The tensors of the global ranking that `shard` holds, in ranking order, with their
  /// first places in the whole ranking.
  func ranked(in shard: ShardedCheckpoint.Shard) -> [(info: TensorInfo, firstUnit: Int)] {
    job.ranking(plan).filter { folder.checkpoint.shard(of: $0.info).name == shard.name }
  }

  /// Reads the JSON value of type `T` at `path`.
  static func read<T: Decodable>(_: T.Type, from path: String) throws(CommandLineError) -> T {
    do {
      return try JSONDecoder().decode(T.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    } catch {
      throw .failure("cannot read \(path): \(error)")
    }
  }
}
