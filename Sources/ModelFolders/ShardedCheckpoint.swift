import SafeTensors

/// The tensors of one checkpoint, stored in one or more safetensors files (shards), each
/// name in exactly one shard: the reading side of a model folder, and of a single file (one
/// shard).
///
/// It reads like one ``SafeTensorsFile``: ``tensors`` lists every tensor (shard after
/// shard, each in its file's order), and ``withBytes(of:_:)`` finds a tensor's bytes in
/// whichever shard holds them. Nothing is copied; every shard stays memory-mapped as long as
/// this value lives.
public struct ShardedCheckpoint: Sendable {
  /// One file of the checkpoint.
  public struct Shard: Sendable {
    /// The file's name inside the folder (for a single file: its path), as the index and
    /// the output use it.
    public let name: String
    /// The opened, validated file.
    public let file: SafeTensorsFile
  }

  /// The shards, in the order given.
  public let shards: [Shard]
  /// Every tensor of every shard, shard after shard.
  public let tensors: [TensorInfo]
  private let shardByName: [TensorName: Int]

  /// The checkpoint stored in `shards`.
  ///
  /// - Throws: ``ModelFolderError/tensorInTwoShards(tensor:first:second:)`` for a name
  ///   stored twice.
  public init(_ shards: [Shard]) throws(ModelFolderError) {
    var shardByName = [TensorName: Int]()
    for (index, shard) in shards.enumerated() {
      for tensor in shard.file.tensors {
        if let other = shardByName.updateValue(index, forKey: TensorName(tensor.name)) {
          throw .tensorInTwoShards(
            tensor: tensor.name, first: shards[other].name, second: shard.name)
        }
      }
    }
    self.shards = shards
    self.shardByName = shardByName
    tensors = shards.flatMap(\.file.tensors)
  }

  /// A checkpoint of one file, named by its path.
  public init(file: SafeTensorsFile) {
    shards = [Shard(name: file.path, file: file)]
    tensors = file.tensors
    shardByName = Dictionary(uniqueKeysWithValues: file.tensors.map { (TensorName($0.name), 0) })
  }

  /// The tensor called `name` (the same UTF-8 bytes), or nil if there is none.
  public func tensor(named name: String) -> TensorInfo? {
    shardByName[TensorName(name)].flatMap { shards[$0].file.tensor(named: name) }
  }

  /// The shard holding `tensor`; one that no shard holds is a programmer error and traps.
  public func shard(of tensor: TensorInfo) -> Shard {
    guard let index = shardByName[TensorName(tensor.name)] else {
      preconditionFailure("tensor \"\(tensor.name)\" is in no shard")
    }
    return shards[index]
  }

  /// Checks that the shard holding `tensor` has not shrunk since it was opened, before its
  /// bytes are read; see ``SafeTensorsFile/checkNotTruncated()``.
  public func checkNotTruncated(_ tensor: TensorInfo) throws(SafeTensorsError) {
    try shard(of: tensor).file.checkNotTruncated()
  }

  /// Calls `body` with the tensor's bytes, a view into its mapped shard (no copy); see
  /// ``SafeTensorsFile/withBytes(of:_:)``.
  public func withBytes<R, E: Error>(
    of tensor: TensorInfo, _ body: (UnsafeRawBufferPointer) throws(E) -> R
  ) throws(E) -> R {
    try shard(of: tensor).file.withBytes(of: tensor, body)
  }

  /// Calls `body` with views of the bytes of several tensors at once (no copy), in the order
  /// given, wherever their shards are: for passes that read many tensors together, such as a
  /// global ranking.
  public func withBytes<R, E: Error>(
    of tensors: [TensorInfo], _ body: ([UnsafeRawBufferPointer]) throws(E) -> R
  ) throws(E) -> R {
    for tensor in tensors { _ = shard(of: tensor) }
    var views = [UnsafeRawBufferPointer?](repeating: nil, count: tensors.count)
    return try withViews(of: tensors, shard: 0, into: &views, body)
  }

  /// Fills `views` with the tensors of shards `shard…` and calls `body` inside every
  /// shard's scope, so that all views are valid at once.
  private func withViews<R, E: Error>(
    of tensors: [TensorInfo], shard: Int, into views: inout [UnsafeRawBufferPointer?],
    _ body: ([UnsafeRawBufferPointer]) throws(E) -> R
  ) throws(E) -> R {
    guard shard < shards.count else {
      // Every slot is filled: each tensor is in some shard (checked by the caller).
      return try body(views.map { $0 ?? UnsafeRawBufferPointer(start: nil, count: 0) })
    }
    let mine = tensors.indices.filter { shardByName[TensorName(tensors[$0].name)] == shard }
    return try shards[shard].file.withBytes(of: mine.map { tensors[$0] }) { (own) throws(E) -> R in
      for (slot, view) in zip(mine, own) { views[slot] = view }
      return try withViews(of: tensors, shard: shard + 1, into: &views, body)
    }
  }

  /// Lets the kernel drop the tensor's pages; see ``SafeTensorsFile/release(_:)``.
  public func release(_ tensor: TensorInfo) {
    shard(of: tensor).file.release(tensor)
  }
}
