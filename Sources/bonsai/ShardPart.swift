import ModelFolders
import Pruning

/// One shard's part of a model folder pruned by many machines (`bonsai shards prune`): the
/// run plans the whole folder as `bonsai prune` does, so that every decision and every
/// header comes out the same, but writes this shard alone; a global ranking follows the cut
/// that the counts of every shard gave (`bonsai shards cut`) instead of ranking the folder.
struct ShardPart {
  /// The shard written, by file name.
  let shard: String
  /// The split global ranking's cut, with `--scope global`.
  let cut: SplitCut?

  /// Whether the run writes `shard`.
  func writes(_ shard: ShardedCheckpoint.Shard) -> Bool {
    shard.name == self.shard
  }
}
