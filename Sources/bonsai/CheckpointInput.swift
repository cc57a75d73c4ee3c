import ModelFolders
import SafeTensors

/// What `bonsai prune` and `bonsai report` read: a safetensors file, or a Hugging Face model
/// folder (one `model.safetensors`, or shards and `model.safetensors.index.json`).
struct CheckpointInput {
  /// The tensors, from the file or from every shard of the folder.
  let checkpoint: ShardedCheckpoint
  /// The folder, when the input is one.
  let folder: ModelFolder?

  /// Opens the file or folder at `path`, with errors in the command line's terms.
  static func open(_ path: String) throws(CommandLineError) -> CheckpointInput {
    guard ModelFolder.isFolder(path) else {
      return CheckpointInput(checkpoint: ShardedCheckpoint(file: try CheckpointFile.open(path)), folder: nil)
    }
    do {
      let folder = try ModelFolder(path: path)
      return CheckpointInput(checkpoint: folder.checkpoint, folder: folder)
    } catch {
      throw .failure("\(error)")
    }
  }
}
