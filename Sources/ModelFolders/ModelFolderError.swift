import SafeTensors

/// Everything that can go wrong reading or writing a model folder.
///
/// ``description`` says on one line what is wrong and where: the folder or file, the tensor,
/// the key. For example:
///
/// ```
/// llama/model.safetensors.index.json: tensor "lm_head.weight" is in
/// model-00004-of-00004.safetensors, which does not exist
/// ```
public enum ModelFolderError: Error, CustomStringConvertible, Equatable, Sendable {
  /// The folder cannot be listed or is not a folder.
  case cannotList(path: String, errno: Int32)
  /// The folder holds no safetensors weights; `found` names weight files of other formats.
  case noSafeTensors(path: String, found: [String])
  /// The folder holds several candidates for its weights and no index says which.
  case ambiguousWeights(path: String, candidates: [String])
  /// A safetensors file of the folder cannot be read.
  case unreadableShard(SafeTensorsError)
  /// The index is not valid JSON, or not shaped as transformers writes it.
  case invalidIndex(path: String, problem: String)
  /// The index maps a tensor to a shard that does not exist.
  case missingShard(index: String, tensor: String, shard: String)
  /// The same tensor name is stored in two shards.
  case tensorInTwoShards(tensor: String, first: String, second: String)
  /// A shard holds a tensor the index does not map to it.
  case unlistedTensor(shard: String, tensor: String, index: String, listedShard: String?)
  /// The index maps a tensor to a shard that does not hold it.
  case tensorNotInShard(index: String, tensor: String, shard: String)
  /// `config.json` is not a JSON object.
  case invalidConfig(path: String, problem: String)
  /// An index or config that is not a regular file, or larger than such a file may be.
  case refusedFile(path: String, problem: String)
  /// The destination exists, and replacing it was not asked for.
  case destinationExists(path: String)
  /// Reading, copying, writing or renaming a file or folder failed.
  case io(path: String, action: String, errno: Int32)
  /// A symbolic link among the files a pruned copy carries over names something outside the
  /// model (``ModelFolder/checkCopies()``).
  case linkLeavesModel(link: String, target: String)
  /// A file a pruned copy would carry over is not a regular file or a folder: `kind` says
  /// what it is (a FIFO, a socket, a device, a dangling link).
  case notCopiable(path: String, kind: String)

  /// One line: the file or folder, then precisely what is wrong.
  public var description: String {
    switch self {
    case .cannotList(let path, let code):
      return "\(path): cannot read the folder: \(ErrnoDescription.text(code))"
    case .noSafeTensors(let path, let found):
      let others = found.isEmpty ? "" : " (found \(found.joined(separator: ", ")))"
      return "\(path): no safetensors weights\(others); Bonsai reads model.safetensors or "
        + "shards with model.safetensors.index.json: convert with transformers, "
        + "AutoModel.from_pretrained(DIR).save_pretrained(NEWDIR, safe_serialization=True)"
    case .ambiguousWeights(let path, let candidates):
      return "\(path): cannot tell which are the weights: \(candidates.joined(separator: " or "))"
        + "; keep one model.safetensors, or shards and their index"
    case .unreadableShard(let error):
      return "\(error)"
    case .invalidIndex(let path, let problem):
      return "\(path): \(problem)"
    case .missingShard(let index, let tensor, let shard):
      return "\(index): tensor \"\(tensor)\" is in \(shard), which does not exist"
    case .tensorInTwoShards(let tensor, let first, let second):
      return "tensor \"\(tensor)\" is stored twice: in \(first) and in \(second)"
    case .unlistedTensor(let shard, let tensor, let index, let listedShard):
      let listed = listedShard.map { "maps it to \($0)" } ?? "does not list it"
      return "\(shard): holds tensor \"\(tensor)\", but \(index) \(listed)"
    case .tensorNotInShard(let index, let tensor, let shard):
      return "\(index): tensor \"\(tensor)\" is mapped to \(shard), which does not hold it"
    case .invalidConfig(let path, let problem):
      return "\(path): \(problem)"
    case .refusedFile(let path, let problem):
      return "\(path): \(problem)"
    case .destinationExists(let path):
      return "\(path) already exists, and replacing it was not asked for"
    case .io(let path, let action, let code):
      return "\(path): cannot \(action): \(ErrnoDescription.text(code))"
    case .linkLeavesModel(let link, let target):
      return "\(link) is a link to \(target), outside the model folder: Bonsai copies no file "
        + "from outside the model into the output; put the file itself in the folder, or "
        + "remove the link"
    case .notCopiable(let path, let kind):
      return "\(path) is \(kind), not a file: Bonsai copies files and folders only; remove it"
    }
  }
}
