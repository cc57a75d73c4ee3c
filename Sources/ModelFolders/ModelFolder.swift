#if canImport(Glibc)
  import Glibc
#endif
import SafeTensors

/// A Hugging Face model folder, opened and checked: its safetensors weights (one
/// `model.safetensors`, or shards listed by `model.safetensors.index.json`), its
/// `config.json`, and every other file and sub-folder (tokenizer files, README,
/// `1_Pooling/…`), which a pruned copy carries over byte for byte.
///
/// Which files are the weights:
/// - one `*.safetensors.index.json`: the shards its `weight_map` names; every tensor of
///   every shard must be listed, under that shard, and each only once (a `model.safetensors`
///   beside `model.safetensors.index.json` is ambiguous: transformers would load it first);
/// - otherwise one `*.safetensors` file (usually `model.safetensors`).
///
/// Every other file and sub-folder is carried over, except weights of other formats, at any
/// depth (`pytorch_model*.bin`, `tf_model*.h5`, `flax_model*.msgpack`, `*.gguf`, `*.onnx`,
/// `*.pt`, `*.pth`, `original/consolidated.00.pth`…), safetensors files that are not the
/// weights (`consolidated.safetensors` beside an index, `original/model.safetensors`) —
/// all of which would still hold the unpruned weights: see ``skippedEntries`` — and the
/// `.git` and `.cache` folders of a cloned or downloaded repository. Symbolic links are followed, so a
/// Hugging Face cache snapshot (a folder of links to blobs) reads like any folder.
public struct ModelFolder: Sendable {
  /// The folder's path, as given.
  public let path: String
  /// The weights.
  public let checkpoint: ShardedCheckpoint
  /// The index, for a sharded folder.
  public let index: ShardIndex?
  /// The parsed `config.json`, when the folder has one and it is a JSON object.
  public let config: ModelConfig?
  /// Why `config.json` could not be parsed, when it could not: the file is carried over as
  /// it is, and only a run that must rewrite its sizes (compaction) is refused.
  public let configProblem: ModelFolderError?
  /// The top-level entries carried over as they are, `config.json` included, sorted.
  public let otherEntries: [String]
  /// The paths, relative to the folder, left out of a pruned copy, sorted: top-level
  /// entries, or files inside the sub-folders of ``otherEntries``.
  public let skippedEntries: [String]

  /// The name of the file transformers reads a model's configuration from.
  public static let configName = "config.json"
  /// The largest `config.json` read, in bytes (8 MiB; real ones are a few KiB).
  public static let configSizeLimit = 8 << 20
  /// The largest index read, in bytes (256 MiB; a model of a million tensors has an index
  /// of about 60 MB).
  public static let indexSizeLimit = 256 << 20

  /// Opens the model folder at `path`, reads its index and maps every shard.
  ///
  /// - Throws: ``ModelFolderError`` for a folder without safetensors weights (naming the
  ///   weight files of other formats it holds), an index that is not valid JSON or names a
  ///   missing shard, a tensor in two shards, a shard holding tensors the index does not
  ///   map to it, a shard that is not a valid safetensors file, an index or `config.json`
  ///   that is not a regular file or is larger than its limit, or a sub-folder whose links
  ///   loop.
  public init(path: String) throws(ModelFolderError) {
    let names = try FolderCalls.entries(of: path)
    let indexes = names.filter { $0.hasSuffix(".safetensors.index.json") }
    let files = names.filter { $0.hasSuffix(".safetensors") && FolderCalls.kind(of: Self.join(path, $0)) == .file }
    let index: ShardIndex?
    let weightNames: [String]
    switch (indexes.count, files.count) {
    case (1, _):
      // transformers loads `model.safetensors` before the shards its index lists.
      let unsharded = String(indexes[0].dropLast(".index.json".count))
      if files.contains(unsharded) {
        throw .ambiguousWeights(path: path, candidates: [unsharded, indexes[0]])
      }
      let indexPath = Self.join(path, indexes[0])
      let parsed = try ShardIndex(
        bytes: try FolderCalls.contents(of: indexPath, limit: Self.indexSizeLimit),
        fileName: indexes[0], path: indexPath)
      index = parsed
      weightNames = parsed.shardNames
    case (0, 1):
      index = nil
      weightNames = files
    case (0, 0):
      throw .noSafeTensors(path: path, found: names.filter(Self.isWeightsFile))
    default:
      throw .ambiguousWeights(path: path, candidates: indexes.isEmpty ? files : indexes)
    }
    var shards = [ShardedCheckpoint.Shard]()
    for name in weightNames {
      let shardPath = Self.join(path, name)
      if let index, FolderCalls.kind(of: shardPath) == .missing {
        let tensor = index.weightMap.filter { $0.value == name }.keys.map(\.string).sorted().first ?? ""
        throw .missingShard(index: Self.join(path, index.fileName), tensor: tensor, shard: name)
      }
      do {
        shards.append(ShardedCheckpoint.Shard(name: name, file: try SafeTensorsFile(path: shardPath)))
      } catch {
        throw .unreadableShard(error)
      }
    }
    let checkpoint = try ShardedCheckpoint(shards)
    if let index { try Self.check(checkpoint, against: index, folder: path) }

    var config: ModelConfig?
    var configProblem: ModelFolderError?
    if names.contains(Self.configName) {
      let configPath = Self.join(path, Self.configName)
      let bytes = try FolderCalls.contents(of: configPath, limit: Self.configSizeLimit)
      do {
        config = try ModelConfig(bytes: bytes, path: configPath)
      } catch {
        configProblem = error
      }
    }
    let weights = Set(weightNames + indexes)
    let others = names.filter { !weights.contains($0) }
    self.path = path
    self.checkpoint = checkpoint
    self.index = index
    self.config = config
    self.configProblem = configProblem
    // Safetensors files beside the weights (consolidated.safetensors) hold unpruned weights.
    let isSkipped = { (name: String) in Self.isSkipped(name) || name.hasSuffix(".safetensors") }
    otherEntries = others.filter { !isSkipped($0) }
    var skipped = others.filter(isSkipped)
    let roots = Self.roots(of: path)
    for entry in otherEntries where Self.isFolder(Self.join(path, entry), inside: roots) {
      skipped += try Self.nestedWeights(in: path, under: entry, roots: roots, ancestors: [])
    }
    skippedEntries = skipped.sorted()
  }

  /// The weight files of other formats, and safetensors files, in the sub-folder `relative`
  /// of `folder`, at any depth, as paths relative to `folder`; `ancestors` are the folders
  /// above, by identity, so that a link back to one of them is found rather than followed
  /// forever. Folders outside `roots` (``roots(of:)``) are not entered: a copy refuses links
  /// to them (``checkCopies()``), and a link to `/` would take the whole disk.
  private static func nestedWeights(
    in folder: String, under relative: String, roots: [String],
    ancestors: [FolderCalls.Identity]
  ) throws(ModelFolderError) -> [String] {
    let path = join(folder, relative)
    guard let identity = FolderCalls.identity(of: path), !ancestors.contains(identity) else {
      throw .io(path: path, action: "copy it: its links make a loop", errno: ELOOP)
    }
    var found = [String]()
    for name in try FolderCalls.entries(of: path) {
      let child = relative + "/" + name
      if FolderCalls.kind(of: join(folder, child)) == .folder {
        if isFolder(join(folder, child), inside: roots) {
          found += try nestedWeights(
            in: folder, under: child, roots: roots, ancestors: ancestors + [identity])
        }
      } else if isOtherFormatWeights(name) || name.hasSuffix(".safetensors") {
        found.append(child)
      }
    }
    return found
  }

  /// Checks that the files a pruned copy carries over (``otherEntries``, everything in their
  /// sub-folders but ``skippedEntries``) can be copied as they are, before anything is
  /// written: each is a regular file or a folder, and each symbolic link among them leads
  /// inside the model. The model is the folder itself and, for a Hugging Face cache snapshot
  /// (a folder `<repository>/snapshots/<revision>` beside `<repository>/blobs`), that
  /// repository's `blobs/`, where the cache keeps the files its snapshots link to. A link
  /// that leads anywhere else (`~/.ssh/id_rsa`, `/etc/…`, another model) is refused rather
  /// than copied: its target would land in the output, often with wider permissions.
  ///
  /// - Throws: ``ModelFolderError/linkLeavesModel(link:target:)`` naming the first such
  ///   link, ``ModelFolderError/notCopiable(path:kind:)`` for a FIFO, a socket, a device or
  ///   a dangling link, ``ModelFolderError/io(path:action:errno:)`` for a loop.
  public func checkCopies() throws(ModelFolderError) {
    let roots = Self.roots(of: path)
    let skipped = Set(skippedEntries)
    for entry in otherEntries {
      try checkCopy(entry, roots: roots, skipping: skipped, ancestors: [])
    }
  }

  /// The resolved folders inside which the links of the model folder `path` may lead: the
  /// folder, and the `blobs/` of the cache repository it is a snapshot of.
  private static func roots(of path: String) -> [String] {
    guard let real = FolderCalls.realPath(path) else { return [] }
    let parts = real.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count >= 4, parts[parts.count - 2] == "snapshots",
      let blobs = FolderCalls.realPath(parts.dropLast(2).joined(separator: "/") + "/blobs"),
      Self.isFolder(blobs)
    else { return [real] }
    return [real, blobs]
  }

  private func checkCopy(
    _ relative: String, roots: [String], skipping skipped: Set<String>,
    ancestors: [FolderCalls.Identity]
  ) throws(ModelFolderError) {
    let entry = Self.join(path, relative)
    let kind = FolderCalls.kind(of: entry)
    guard kind == .file || kind == .folder else {
      throw .notCopiable(path: entry, kind: FolderCalls.kindDescription(of: entry))
    }
    if FolderCalls.isLink(entry) && !Self.leads(entry, inside: roots) {
      throw .linkLeavesModel(link: entry, target: FolderCalls.realPath(entry) ?? entry)
    }
    guard kind == .folder else { return }
    guard let identity = FolderCalls.identity(of: entry), !ancestors.contains(identity) else {
      throw .io(path: entry, action: "copy it: its links make a loop", errno: ELOOP)
    }
    for name in try FolderCalls.entries(of: entry) where !skipped.contains(relative + "/" + name) {
      try checkCopy(
        relative + "/" + name, roots: roots, skipping: skipped, ancestors: ancestors + [identity])
    }
  }

  /// Whether `path`, resolved, is one of `roots` or lies inside one.
  private static func leads(_ path: String, inside roots: [String]) -> Bool {
    guard let target = FolderCalls.realPath(path) else { return false }
    return roots.contains { target == $0 || target.hasPrefix($0 == "/" ? "/" : $0 + "/") }
  }

  /// Whether `path` names a folder that is one of `roots` or lies inside one.
  private static func isFolder(_ path: String, inside roots: [String]) -> Bool {
    isFolder(path) && leads(path, inside: roots)
  }

  /// Whether `path` names a folder (following symbolic links).
  public static func isFolder(_ path: String) -> Bool {
    FolderCalls.kind(of: path) == .folder
  }

  /// `name` inside `folder`.
  static func join(_ folder: String, _ name: String) -> String {
    folder.hasSuffix("/") ? folder + name : folder + "/" + name
  }

  /// Checks that the index maps every tensor of every shard to that shard, and only those.
  private static func check(_ checkpoint: ShardedCheckpoint, against index: ShardIndex, folder: String)
    throws(ModelFolderError)
  {
    let indexPath = join(folder, index.fileName)
    for shard in checkpoint.shards {
      for tensor in shard.file.tensors where index.weightMap[TensorName(tensor.name)] != shard.name {
        throw .unlistedTensor(
          shard: join(folder, shard.name), tensor: tensor.name, index: indexPath,
          listedShard: index.weightMap[TensorName(tensor.name)])
      }
    }
    let byName = index.weightMap.sorted {
      $0.key.string.utf8.lexicographicallyPrecedes($1.key.string.utf8)
    }
    for (tensor, shard) in byName
    where checkpoint.tensor(named: tensor.string) == nil {
      throw .tensorNotInShard(index: indexPath, tensor: tensor.string, shard: shard)
    }
  }

  /// Weights in another format that transformers or llama.cpp would load instead of, or
  /// beside, the safetensors ones: a pruned copy leaves them out.
  private static func isOtherFormatWeights(_ name: String) -> Bool {
    let formats = [".gguf", ".onnx", ".onnx_data", ".pt", ".pth", ".ckpt", ".h5", ".msgpack", ".ot"]
    // `.bin` and indexes hold weights under these names only (`training_args.bin` does not).
    let prefixes = ["pytorch_model", "tf_model", "flax_model", "openvino_model"]
    let suffixes = [".bin", ".xml", ".index.json"]
    return formats.contains { name.hasSuffix($0) }
      || prefixes.contains { name.hasPrefix($0) } && suffixes.contains { name.hasSuffix($0) }
  }

  /// Files that may hold weights, named when a folder has no safetensors ones.
  private static func isWeightsFile(_ name: String) -> Bool {
    isOtherFormatWeights(name) || name.hasSuffix(".bin")
  }

  /// Whether a top-level entry is left out of a pruned copy: weights of another format, a
  /// repository's `.git` or download `.cache`.
  private static func isSkipped(_ name: String) -> Bool {
    name == ".git" || name == ".cache" || isOtherFormatWeights(name)
  }
}
