extension SelectionCut {
  /// The mask of the units this cut keeps, computed in one pass over `source`.
  ///
  /// - Parameters:
  ///   - source: the same keys the cut was selected from.
  ///   - threads: how many threads the pass may use; the result does not depend on it.
  ///   - onBlock: called with the first unit of each block and the block's kept words, from
  ///     several threads at once (each block once), so that a caller can zero the pruned
  ///     weights in the same pass while they are in cache.
  func mask<Source: KeySource>(
    of source: Source, threads: Int,
    onBlock: (_ start: Int, _ kept: UnsafeBufferPointer<UInt64>) -> Void = { _, _ in }
  ) -> PruningMask {
    let layout = ChunkLayout(count: source.count)
    let blockSize = LowestKSelection.blockSize
    var words = [UInt64](repeating: 0, count: (source.count + 63) / 64)
    words.withUnsafeMutableBufferPointer { words in
      Parallel.forEachWorker(tasks: layout.chunkCount, threads: threads) { _, chunks in
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: blockSize) { keys in
          withUnsafeTemporaryAllocation(of: UInt64.self, capacity: blockSize / 64) { equal in
            for chunk in chunks {
              var quota = tieQuotas[chunk]
              let units = layout.units(ofChunk: chunk)
              for start in stride(from: units.lowerBound, to: units.upperBound, by: blockSize) {
                let end = min(start + blockSize, units.upperBound)
                source.fillKeys(start ..< end, into: keys)
                let blockWords = UnsafeMutableBufferPointer(
                  rebasing: words[start >> 6 ..< (end + 63) >> 6])
                Self.keptWords(
                  UnsafeBufferPointer(rebasing: keys[0 ..< end - start]), threshold: threshold,
                  into: blockWords, equal: equal, quota: &quota)
                onBlock(start, UnsafeBufferPointer(blockWords))
              }
            }
          }
        }
      }
    }
    return PruningMask(count: source.count, words: words)
  }

  /// The kept words of a block of keys: keys below `threshold` are pruned, and of those
  /// equal to it the first `quota`, which is reduced accordingly. `kept` and `equal` hold
  /// at least one word per 64 keys; bits past the last key are cleared.
  static func keptWords(
    _ keys: UnsafeBufferPointer<UInt32>, threshold: UInt32,
    into kept: UnsafeMutableBufferPointer<UInt64>, equal: UnsafeMutableBufferPointer<UInt64>,
    quota: inout Int
  ) {
    let whole = keys.count & ~63
    Kernels.compare(
      keys: UnsafeBufferPointer(rebasing: keys[0 ..< whole]), threshold: threshold,
      below: UnsafeMutableBufferPointer(rebasing: kept[0 ..< whole / 64]),
      equal: quota > 0 ? equal : nil)
    for word in 0 ..< whole / 64 {
      var pruned = kept[word]
      if quota > 0 { pruned |= takeLowest(equal[word], quota: &quota) }
      kept[word] = ~pruned
    }
    if whole < keys.count {
      var below: UInt64 = 0
      var equalBits: UInt64 = 0
      for index in whole ..< keys.count {
        below |= BranchFree.less(keys[index], threshold) << UInt64(index - whole)
        equalBits |= BranchFree.equal(keys[index], threshold) << UInt64(index - whole)
      }
      let pruned = below | takeLowest(equalBits, quota: &quota)
      kept[whole / 64] = ~pruned & ((1 << UInt64(keys.count - whole)) - 1)
    }
  }

  /// The lowest `quota` set bits of `bits` (all of them if fewer), reducing `quota`.
  @inline(__always)
  private static func takeLowest(_ bits: UInt64, quota: inout Int) -> UInt64 {
    var remaining = bits
    var taken: UInt64 = 0
    while quota > 0 && remaining != 0 {
      taken |= remaining & (0 &- remaining)
      remaining &= remaining &- 1
      quota -= 1
    }
    return taken
  }
}
