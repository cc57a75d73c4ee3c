// Selection inside small groups instead of across the whole tensor: N:M patterns (groups of
// M consecutive weights along a row) and per-row ranking (each row a group). Every group's
// decision is its own, so the result cannot depend on the thread count; the work is split
// into bands of whole rows that start on a 64-bit word of the mask, so that no two workers
// write the same word.

/// Prunes the lowest keys of each group of consecutive units along the rows of a matrix.
enum GroupedSelection {
  /// Groups up to this size are decided by counting ranks (O(size²) compares, branch-free);
  /// larger ones up to `LowestKSelection.smallCount` by a quickselect in scratch, larger ones
  /// still by `LowestKSelection` itself.
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
    // Scratch for a group's keys and a copy to select in: none for groups that go to
    // `LowestKSelection` as they are.
    let scratchSize = groupSize <= LowestKSelection.smallCount ? groupSize : 0
    words.withUnsafeMutableBufferPointer { words in
      Parallel.forEachWorker(tasks: bands, threads: threads / innerThreads) { _, owned in
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 2 * scratchSize) { scratch in
          let keys = UnsafeMutableBufferPointer(rebasing: scratch[0 ..< scratchSize])
          let copy = UnsafeMutableBufferPointer(rebasing: scratch[scratchSize...])
          for band in owned {
            for row in band * alignRows ..< min(rows, (band + 1) * alignRows) {
              for start in stride(from: row * columns, to: (row + 1) * columns, by: groupSize) {
                guard scratchSize > 0 else {
                  let group = OffsetKeys(base: source, offset: start, count: groupSize)
                  let zeros = countingZeros ? ZeroKeyCount.count(group) : 0
                  let cut = LowestKSelection.cut(
                    group, pruning: prunedCount(zeros), threads: innerThreads)
                  let kept = cut.mask(of: group, threads: innerThreads)
                  kept.words.withUnsafeBufferPointer { kept in
                    PruningMask.orBits(kept, into: words, atBit: start)
                  }
                  continue
                }
                source.fillKeys(start ..< start + groupSize, into: keys)
                let group = UnsafeBufferPointer(keys)
                let zeros = countingZeros ? group.reduce(0) { $0 + ($1 == 0 ? 1 : 0) } : 0
                let pruned = prunedCount(zeros)
                if groupSize <= rankCountingLimit {
                  keepByRank(group, pruning: pruned, first: start, into: words)
                } else {
                  keepBySelection(group, pruning: pruned, first: start, scratch: copy, into: words)
                }
              }
            }
          }
        }
      }
    }
    return PruningMask(count: source.count, words: words)
  }

  /// Sets the kept bits of a mid-sized group: the key of rank `pruning − 1` is selected in a
  /// copy of the keys (`select`), then every key below it is pruned and, of those equal to
  /// it, as many as still needed, lowest index first.
  private static func keepBySelection(
    _ keys: UnsafeBufferPointer<UInt32>, pruning: Int, first: Int,
    scratch: UnsafeMutableBufferPointer<UInt32>, into words: UnsafeMutableBufferPointer<UInt64>
  ) {
    var threshold: UInt32 = 0
    if pruning > 0 {
      _ = scratch.update(fromContentsOf: keys)
      threshold = select(
        UnsafeMutableBufferPointer(rebasing: scratch[0 ..< keys.count]), rank: pruning - 1)
    }
    var below = 0
    for key in keys { below &+= Int(BranchFree.less(key, threshold)) }
    var ties = pruning - below
    for index in keys.indices {
      let key = keys[index]
      if key < threshold { continue }
      if key == threshold && ties > 0 {
        ties -= 1
        continue
      }
      let bit = first + index
      words[bit >> 6] |= 1 << UInt64(bit & 63)
    }
  }

  /// The key of rank `rank` (0-based) of `keys`, which are reordered: quickselect with a
  /// median-of-three pivot and three-way partitions (so that ties cost nothing), falling back
  /// to sorting the remaining range when the partitions keep coming out unbalanced (after
  /// `rounds` partitions; by default 2·log₂(n) + 8).
  static func select(
    _ keys: UnsafeMutableBufferPointer<UInt32>, rank: Int, rounds: Int? = nil
  ) -> UInt32 {
    precondition(rank >= 0 && rank < keys.count, "rank \(rank) out of 0..<\(keys.count)")
    var (low, high) = (0, keys.count - 1)
    var rounds = rounds ?? 2 * (Int.bitWidth - keys.count.leadingZeroBitCount) + 8
    while low < high {
      rounds -= 1
      if rounds == 0 {
        var remaining = UnsafeMutableBufferPointer(rebasing: keys[low ... high])
        remaining.sort()
        return keys[rank]
      }
      let middle = low + (high - low) / 2
      let (a, b, c) = (keys[low], keys[middle], keys[high])
      let pivot = max(min(a, b), min(max(a, b), c))
      var (less, index, greater) = (low, low, high)
      while index <= greater {
        let key = keys[index]
        if key < pivot {
          keys.swapAt(less, index)
          less += 1
          index += 1
        } else if key > pivot {
          keys.swapAt(index, greater)
          greater -= 1
        } else {
          index += 1
        }
      }
      if rank < less {
        high = less - 1
      } else if rank > greater {
        low = greater + 1
      } else {
        return pivot
      }
    }
    return keys[low]
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
