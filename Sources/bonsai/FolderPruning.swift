#if canImport(Glibc)
  import Glibc
#endif
import ModelFolders
import SafeTensors

/// `bonsai prune DIR -o OUTDIR`: a model folder pruned into a new folder that transformers
/// loads. The shards are pruned by `CheckpointPruning` (every decision made over all of them
/// first, then streamed shard by shard into the same file names); the index gets the new
/// `total_size`; `config.json` gets the sizes compaction changed; every other file and
/// sub-folder is copied byte for byte. All of it is built in a temporary folder next to
/// OUTDIR and renamed into place when complete.
struct FolderPruning {
  /// The shards' pruning.
  let job: CheckpointPruning
  /// The folder read.
  let folder: ModelFolder
  /// The folder written.
  let output: String
  /// Whether an existing `output` is replaced.
  let replacing: Bool
  /// Whether compaction may leave layers with sizes `config.json` cannot declare.
  let allowsUnevenSizes: Bool
  /// Whether the files and folders are flushed to disk before the folder is renamed into
  /// place.
  let syncsToDisk: Bool

  /// What happened to each tensor, the sizes of `config.json` that changed, and the folder
  /// built, still under its temporary name.
  struct Outcome {
    let tensors: [CheckpointPruning.TensorOutcome]
    let sizeChanges: [ModelConfig.SizeChange]
    let folder: FolderOutput
    /// The folder's registration for removal on a signal, released before the rename.
    let registration: SignalCleanup.FolderRegistration

    /// Renames the folder into place (see ``FolderOutput/commit()``); call it holding the
    /// signals (``SignalCleanup/holdingSignals(_:)``).
    func commit() throws(CommandLineError) {
      registration.release()
      do {
        FolderPruning.tell(try folder.commit(), replacing: folder.destination)
      } catch {
        throw .failure("\(error)")
      }
    }
  }

  /// Refuses outputs that would write into the input or remove it (by ``FileRoles``, which
  /// sees through links), an existing output unless `replacing`, and a folder whose other
  /// files cannot be copied (``ModelFolder/checkCopies()``): before anything is computed.
  func checkPaths() throws(CommandLineError) {
    if output.hasSuffix(".safetensors") {
      throw .usage("output \(output) names a file, but a model folder is pruned into a folder: name it without .safetensors")
    }
    try FileRoles(reads: [("input", folder.path)], folderWrites: [("-o", output)]).check()
    do {
      try folder.checkCopies()
    } catch {
      throw .usage("\(error)")
    }
    var status = stat()
    if lstat(output, &status) == 0 {
      guard replacing else { throw .usage("output \(output) exists: pass --replace to replace it") }
      guard status.st_mode & S_IFMT == S_IFDIR else {
        throw .usage("output \(output) exists and is not a folder: --replace replaces a model folder only")
      }
    }
  }

  /// Prunes the folder into a temporary folder beside `output`, complete but not yet
  /// renamed into place: the outcome's ``Outcome/commit()`` does that. Call
  /// ``checkPaths()`` first.
  func build(_ plan: CheckpointPruning.Plan) throws(CommandLineError) -> Outcome {
    let target: FolderOutput
    do {
      target = try FolderOutput(
        destination: output, replacing: replacing, syncsToDisk: syncsToDisk,
        permissionsOf: folder.path)
    } catch {
      throw .failure("\(error)")
    }
    let registration = SignalCleanup.FolderRegistration(target)
    Self.removeLeftovers(of: target.destination)
    var sizeChanges = [ModelConfig.SizeChange]()
    // Staged like any output, so that a signal removes a half-written shard at once (and
    // then the temporary folder).
    let shards = OutputSet(syncsToDisk: syncsToDisk)
    let tensors = try job.stream(
      folder.checkpoint, plan: plan,
      to: { shard throws(CommandLineError) in
        try shards.stage(
          target.path(of: shard.name), removingLeftovers: false,
          permissionsOf: "\(folder.path)/\(shard.name)")
      },
      checking: { shapes throws(CommandLineError) in sizeChanges = try checkSizes(shapes) })
    do {
      try shards.commit()
    } catch {
      registration.release()
      target.abandon()
      throw error
    }
    // Bit counts are whole bytes: the writer checked each tensor's.
    try complete(
      target,
      totalSize: tensors.reduce(0) { $0 + $1.outputShape.reduce(1, *) * $1.info.dtype.bitWidth / 8 },
      totalParameters: tensors.reduce(0) { $0 + $1.outputShape.reduce(1, *) },
      sizeChanges: sizeChanges)
    return Outcome(
      tensors: tensors, sizeChanges: sizeChanges, folder: target, registration: registration)
  }

  /// Completes `target`, which holds the pruned shards: writes the index with the new sizes
  /// (bytes and elements of every tensor written) and copies every other file and
  /// sub-folder (`config.json` with the sizes that changed); the folder is then ready to be
  /// renamed into place. On failure it is abandoned.
  func complete(
    _ target: FolderOutput, totalSize: Int, totalParameters: Int,
    sizeChanges: [ModelConfig.SizeChange]
  ) throws(CommandLineError) {
    do {
      if let index = folder.index {
        try target.write(
          try index.updated(totalSize: totalSize, totalParameters: totalParameters),
          as: index.fileName, permissionsOf: "\(folder.path)/\(index.fileName)")
      }
      for entry in folder.otherEntries {
        if entry == ModelFolder.configName, let config = folder.config, !sizeChanges.isEmpty {
          try target.write(
            config.replacing(Self.newValues(sizeChanges)), as: entry,
            permissionsOf: "\(folder.path)/\(entry)")
        } else {
          try target.copy(entry, from: folder.path, skipping: Set(folder.skippedEntries))
        }
      }
    } catch {
      target.abandon()
      throw .failure("\(error)")
    }
  }

  /// The changes to `config.json`'s sizes that the output shapes make; uneven ones are a
  /// usage error unless allowed, and then leave the config as it is.
  func checkSizes(_ tensors: [ModelConfig.Reshaping]) throws(CommandLineError)
    -> [ModelConfig.SizeChange]
  {
    guard let config = folder.config else {
      // An unreadable config is copied as it is, unless compaction must change its sizes.
      if let problem = folder.configProblem, tensors.contains(where: { $0.before != $0.after }) {
        throw .failure("\(problem): --compact changes sizes it would have to declare")
      }
      return []
    }
    let changes = config.sizeChanges(tensors)
    if !allowsUnevenSizes, let uneven = changes.first(where: \.isUneven) {
      throw .usage(
        "--compact leaves sizes which \(ModelFolder.configName) cannot declare: \(uneven); "
          + "\(uneven.advice), or pass --allow-uneven to keep \(ModelFolder.configName) as it is")
    }
    return changes.filter { !$0.isUneven }
  }

  /// Removes the folders that killed runs building `output` left, saying so on stderr.
  static func removeLeftovers(of output: String) {
    for (path, code) in FolderOutput.removeLeftovers(of: output) {
      let problem = code.map { ": \(String(cString: strerror($0)))" } ?? ""
      Terminal.standardError.write(
        "bonsai: \(code == nil ? "removed" : "cannot remove") \(path), left by an interrupted run\(problem)\n")
    }
  }

  /// Says on stderr that the folder `output` replaced could not be removed whole (never a
  /// silent copy left behind), and whether a later run removes it.
  static func tell(_ leftover: FolderOutput.Leftover?, replacing output: String) {
    guard let leftover else { return }
    let then =
      leftover.isMarked
      ? "the next run into \(output) removes it once it can" : "remove it yourself"
    Terminal.standardError.write(
      "bonsai: warning: the previous \(output) could not be removed whole; it is left as "
        + "\(leftover.path): \(then)\n")
  }

  /// The new values of the sizes changed uniformly.
  private static func newValues(_ changes: [ModelConfig.SizeChange]) -> [String: Int] {
    var values = [String: Int]()
    for case .uniform(let key, _, let to) in changes { values[key] = to }
    return values
  }
}

extension ModelConfig.SizeChange {
  /// Whether the config cannot follow the tensors: the layers disagree, other tensors of the
  /// size keep it, or the size is nested.
  var isUneven: Bool {
    if case .uniform = self { false } else { true }
  }

  /// What to do instead, for a change the config cannot follow.
  var advice: String {
    switch self {
    case .uniform, .uneven: "prune every layer alike"
    case .unmatched: "compact every tensor of that size alike, or leave those out (--exclude)"
    case .nested: "edit the nested size yourself afterwards"
    }
  }
}
