// Selection inside small groups instead of across the whole tensor: N:M patterns (groups of
// M consecutive weights along a row) and per-row ranking (each row a group). Every group's
// decision is its own, so the result cannot depend on the thread count; the work is split
// into bands of whole rows that start on a 64-bit word of the mask, so that no two workers
// write the same word.

/// Prunes the lowest keys of each group of consecutive units along the rows of a matrix.
enum GroupedSelection {
  /// Groups up to this size are decided by counting ranks (O(size²) compares, branch-free);
  /// larger ones by `LowestKSelection`.
  static let rankCountingLimit = 32

  /// The mask that prunes, in every group of `groupSize` consecutive units along each row
  /// (groups tile each row; rows tile the tensor), the `prunedCount(zeros)` lowest keys —
  /// lower index first among equal keys — where `zeros` is how many keys of the group are 0
  /// when `countingZeros`, else 0.
  ///
  /// - Precondition: `columns` is a multiple of `groupSize`, and `prunedCount` returns a
  ///   count in `0 ... groupSize`.
  static func mask<Source: KeySource>(
    of source: Source, rows: Int, columns: Int, groupSize: Int, countingZeros: Bool,
    threads: Int, prunedCount: (_ zeros: Int) -> Int
  ) -> PruningMask {
    precondition(rows * columns == source.count && columns % groupSize == 0)
    var words = [UInt64](repeating: 0, count: (source.count + 63) / 64)
    let alignRows = 64 / gcd(columns, 64)
    let bands = (rows + alignRows - 1) / alignRows
    // A row split over all threads when there are too few rows to share out.
    let innerThreads = rows < threads ? threads : 1
    words.withUnsafeMutableBufferPointer { words in
      Parallel.forEachWorker(tasks: bands, threads: threads / innerThreads) { _, owned in
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: groupSize) { keys in
          for band in owned {
            for row in band * alignRows ..< min(rows, (band + 1) * alignRows) {
              for start in stride(from: row * columns, to: (row + 1) * columns, by: groupSize) {
                if groupSize <= rankCountingLimit {
                  source.fillKeys(start ..< start + groupSize, into: keys)
                  let group = UnsafeBufferPointer(rebasing: keys[0 ..< groupSize])
                  let zeros = countingZeros ? group.reduce(0) { $0 + ($1 == 0 ? 1 : 0) } : 0
                  let pruned = prunedCount(zeros)
                  keepByRank(group, pruning: pruned, first: start, into: words)
                } else {
                  let group = OffsetKeys(base: source, offset: start, count: groupSize)
                  let zeros = countingZeros ? ZeroKeyCount.count(group) : 0
                  let cut = LowestKSelection.cut(
                    group, pruning: prunedCount(zeros), threads: innerThreads)
                  let kept = cut.mask(of: group, threads: innerThreads)
                  kept.words.withUnsafeBufferPointer { kept in
                    PruningMask.orBits(kept, into: words, atBit: start)
                  }
                }
              }
            }
          }
        }
      }
    }
    return PruningMask(count: source.count, words: words)
  }

  /// Sets the kept bits of one small group: unit i is pruned when fewer than `pruning` units
  /// rank before it, ranking by key and then by index.
  private static func keepByRank(
    _ keys: UnsafeBufferPointer<UInt32>, pruning: Int, first: Int,
    into words: UnsafeMutableBufferPointer<UInt64>
  ) {
    for i in keys.indices {
      var rank = 0
      let key = keys[i]
      for j in 0 ..< i { rank &+= Int(BranchFree.lessOrEqual(keys[j], key)) }
      for j in i + 1 ..< keys.count { rank &+= Int(BranchFree.less(keys[j], key)) }
      if rank >= pruning {
        let bit = first + i
        words[bit >> 6] |= 1 << UInt64(bit & 63)
      }
    }
  }

  private static func gcd(_ a: Int, _ b: Int) -> Int {
    b == 0 ? a : gcd(b, a % b)
  }
}

/// The keys of `count` units of `base` from `offset` on, as units `0 ..< count`.
struct OffsetKeys<Base: KeySource>: KeySource {
  let base: Base
  let offset: Int
  let count: Int

  func fillKeys(_ range: Range<Int>, into keys: UnsafeMutableBufferPointer<UInt32>) {
    base.fillKeys(range.lowerBound + offset ..< range.upperBound + offset, into: keys)
  }
}

/// Counting the keys equal to 0: units forced first because they were already pruned.
enum ZeroKeyCount {
  /// How many keys of `source` are 0.
  static func count<Source: KeySource>(_ source: Source) -> Int {
    let blockSize = LowestKSelection.blockSize
    return withUnsafeTemporaryAllocation(of: UInt32.self, capacity: blockSize) { keys in
      var zeros = 0
      for start in stride(from: 0, to: source.count, by: blockSize) {
        let end = min(start + blockSize, source.count)
        source.fillKeys(start ..< end, into: keys)
        for index in 0 ..< end - start { zeros &+= Int(BranchFree.equal(keys[index], 0)) }
      }
      return zeros
    }
  }
}
