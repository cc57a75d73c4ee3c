/// Picks the lowest scores of a few units (a row of a block, an N:M group).
enum SmallSelection {
  /// Calls `prune(i)` for each of the `count` lowest of `scores`, lowest first, ties to the
  /// lower index. `keys` is scratch of at least `scores.count` elements.
  static func lowest(
    _ count: Int, of scores: UnsafeBufferPointer<Float>, keys: UnsafeMutableBufferPointer<UInt64>,
    prune: (Int) -> Void
  ) {
    guard count > 0 else { return }
    for index in scores.indices {
      keys[index] = UInt64(ScoreKey.key(scores[index])) << 32 | UInt64(index)
    }
    var used = UnsafeMutableBufferPointer(rebasing: keys[0 ..< scores.count])
    used.sort()
    for key in used[0 ..< count] { prune(Int(truncatingIfNeeded: key & 0xFFFF_FFFF)) }
  }
}
