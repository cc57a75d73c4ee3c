import ModelFolders
import Pruning

/// One shard's part of a model folder pruned by many machines (`bonsai shards prune`): the
/// run plans the whole folder as `bonsai prune` does, so that every decision and every
/// header comes out the same, but writes this shard alone; a global ranking follows the cut
/// that the counts of every shard gave (`bonsai shards cut`) instead of ranking the folder,
/// and channel groups keep the channels their own tasks chose (`bonsai shards channels`).
struct ShardPart {
  /// The channels one group keeps, as `bonsai shards channels` writes them.
  struct GroupChannels: Codable {
    /// The group's index in the plan.
    let group: Int
    /// The group's consumer, to check the group is the one planned.
    let consumer: String
    /// The channels kept, ascending.
    let kept: [Int]
  }

  /// The shard written, by file name.
  let shard: String
  /// The split global ranking's cut, with `--scope global`.
  let cut: SplitCut?
  /// Per channel group of the plan, the channels it keeps.
  let channels: [[Int]]

  /// Whether the run writes `shard`.
  func writes(_ shard: ShardedCheckpoint.Shard) -> Bool {
    shard.name == self.shard
  }
}
