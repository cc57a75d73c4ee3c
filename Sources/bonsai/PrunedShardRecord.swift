import SafeTensors

/// What `bonsai shards prune` wrote, recorded beside the shard in its `--into` folder as the
/// step file `SHARD.bonsai-step.json`: `bonsai shards finish` moves a shard into OUTDIR only
/// when its record is of the same job and still describes it (its size, and a digest of its
/// header), so that a shard never pruned, or pruned for other options, is refused.
struct PrunedShardRecord: Codable, Equatable {
  /// The shard's file name.
  let shard: String
  /// Its size in bytes.
  let size: Int
  /// The fingerprint of its header: every tensor's name, dtype, shape and offsets, and the
  /// metadata.
  let header: String

  /// The record of `file`, the shard `name`.
  init(shard name: String, file: SafeTensorsFile) {
    var digest = Fingerprint()
    for tensor in file.tensors {
      digest.add("\(tensor.name)|\(tensor.dtype)|\(tensor.shape)|\(tensor.dataOffsets)")
    }
    for (key, value) in file.metadata.sorted(by: { $0.key < $1.key }) { digest.add("\(key)=\(value)") }
    shard = name
    size = file.fileSize
    header = digest.hex
  }

  /// The record's path for the shard at `shardPath`.
  static func path(of shardPath: String) -> String {
    shardPath + ".bonsai-step.json"
  }
}
