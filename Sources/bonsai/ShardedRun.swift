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
  /// What every step file of this job carries and checks (see `StepFile`).
  let fingerprint: String

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
    fingerprint = Self.fingerprint(job: job, plan: plan, folder: folder, reads: command.reads)
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

  /// The fingerprint of a job: what decides the bits written — the pruning configuration
  /// and method, every tensor's decision, dtype and shape, the channel groups, compaction,
  /// the score inputs' tensors — and the input folder's shards with their sizes. Paths are
  /// left out: each machine may mount the folder elsewhere.
  private static func fingerprint(
    job: CheckpointPruning, plan: CheckpointPruning.Plan, folder: ModelFolder,
    reads: [FileRoles.Role]
  ) -> String {
    var digest = Fingerprint()
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    let config = (try? encoder.encode(job.pruner.config)).map { String(decoding: $0, as: UTF8.self) }
    digest.add(config ?? "\(job.pruner.config)")
    digest.add("method \(job.method) compact \(job.compact)")
    digest.add("sparsegpt \(job.sparseGPT.map { "\($0.sparseGPT)" } ?? "none")")
    for (info, action) in plan.entries {
      digest.add("\(info.name)|\(info.dtype)|\(info.shape)|\(action)")
    }
    for group in plan.groups {
      digest.add("group \(group.consumer.name) \(group.producers.map(\.name))")
    }
    for (option, _) in reads { digest.add(option) }
    for source in [job.scoreInputs.gradients, job.scoreInputs.activations].compactMap({ $0 }) {
      for tensor in source.checkpoint.tensors {
        digest.add("input \(tensor.name)|\(tensor.dtype)|\(tensor.shape)")
      }
    }
    for shard in folder.checkpoint.shards { digest.add("shard \(shard.name) \(shard.file.fileSize)") }
    return digest.hex
  }
}
