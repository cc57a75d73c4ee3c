// Selection inside small groups instead of across the whole tensor: N:M patterns (groups of
// M consecutive weights along a row) and per-row ranking (each row a group). Every group's
// decision is its own, so the result cannot depend on the thread count; the work is split
// into bands of whole rows that start on a 64-bit word of the mask, so that no two workers
// write the same word. N:M patterns of M = 2, 4, 8 and per-row ranking by magnitude or Wanda
// scores take fused paths instead (`SemiStructuredSelection`, `RowSelection`), which decide
// the same bits; this is the general one, and their reference in the tests.

/// Prunes the lowest keys of each group of consecutive units along the rows of a matrix.
enum GroupedSelection {
  /// Groups up to this size are decided by counting ranks (O(size²) compares, branch-free);
  /// larger ones up to `LowestKSelection.smallCount` by a branch-free quickselect in scratch,
  /// larger ones still by `LowestKSelection` itself.
  static let rankCountingLimit = 32
  /// Keys of small groups are filled this many at a time (whole groups).
  static let fillSize = 1024

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
    let alignRows = wordAlignedRows(columns: columns)
    let bands = (rows + alignRows - 1) / alignRows
    // A row split over all threads when there are too few rows to share out.
    let innerThreads = rows < threads ? threads : 1
    // Scratch for keys: a run of small groups, or a mid-sized group and two buffers to
    // select in; none for the groups that go to `LowestKSelection` as they are.
    let scratchSize =
      groupSize <= rankCountingLimit ? fillSize / groupSize * groupSize
      : groupSize <= LowestKSelection.smallCount ? 3 * groupSize : 0
    // And for a mid-sized group's kept bits and its keys equal to the threshold.
    let bitScratchSize = scratchSize > 0 && groupSize > rankCountingLimit ? 2 * ((groupSize + 63) / 64) : 0
    words.withUnsafeMutableBufferPointer { words in
      Parallel.forEachWorker(tasks: bands, threads: threads / innerThreads) { _, owned in
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: scratchSize) { scratch in
          withUnsafeTemporaryAllocation(of: UInt64.self, capacity: bitScratchSize) { bits in
            for band in owned {
              let bandRows = band * alignRows ..< min(rows, (band + 1) * alignRows)
              let units = bandRows.lowerBound * columns ..< bandRows.upperBound * columns
              if groupSize <= rankCountingLimit {
                keepSmallGroups(
                  source, units: units, groupSize: groupSize, countingZeros: countingZeros,
                  scratch: scratch, into: words, prunedCount: prunedCount)
                continue
              }
              for start in stride(from: units.lowerBound, to: units.upperBound, by: groupSize) {
                let group = OffsetKeys(base: source, offset: start, count: groupSize)
                if scratchSize > 0 {
                  keepGroup(
                    group, countingZeros: countingZeros, scratch: scratch, bits: bits,
                    into: words, atBit: start, prunedCount: prunedCount)
                } else {
                  let zeros = countingZeros ? KeyCount.zeros(in: group) : 0
                  LowestKSelection.cut(group, pruning: prunedCount(zeros), threads: innerThreads)
                    .mask(of: group, threads: innerThreads).words.withUnsafeBufferPointer {
                      PruningMask.orBits($0, into: words, atBit: start)
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

  /// Sets the kept bits of the small groups tiling `units`, their keys filled a run of
  /// groups at a time: unit i of a group is pruned when fewer than the group's pruned count
  /// rank before it, ranking by key and then by index.
  private static func keepSmallGroups<Source: KeySource>(
    _ source: Source, units: Range<Int>, groupSize: Int, countingZeros: Bool,
    scratch: UnsafeMutableBufferPointer<UInt32>, into words: UnsafeMutableBufferPointer<UInt64>,
    prunedCount: (_ zeros: Int) -> Int
  ) {
    let fixedCount = countingZeros ? nil : prunedCount(0)
    for runStart in stride(from: units.lowerBound, to: units.upperBound, by: scratch.count) {
      let runEnd = min(units.upperBound, runStart + scratch.count)
      source.fillKeys(runStart ..< runEnd, into: scratch)
      for groupStart in stride(from: 0, to: runEnd - runStart, by: groupSize) {
        let keys = UnsafeBufferPointer(rebasing: scratch[groupStart ..< groupStart + groupSize])
        let pruning = fixedCount ?? prunedCount(KeyCount.zeros(in: keys))
        for i in keys.indices {
          var rank = 0
          let key = keys[i]
          for j in keys.startIndex ..< i { rank &+= Int(BranchFree.lessOrEqual(keys[j], key)) }
          for j in i + 1 ..< keys.endIndex { rank &+= Int(BranchFree.less(keys[j], key)) }
          let kept = UInt64(bitPattern: Int64(pruning - 1 - rank)) >> 63
          let bit = runStart + groupStart + i
          words[bit >> 6] |= kept << UInt64(bit & 63)
        }
      }
    }
  }

  /// Sets the kept bits of a mid-sized group, starting at bit `start` of `words`: its keys
  /// filled into `scratch`, the key of rank `pruning − 1` selected in a copy (`select`),
  /// then the words kept by that threshold and its ties (`SelectionCut.keptWords`) built in
  /// `bits` — no allocation per group.
  private static func keepGroup<Source: KeySource>(
    _ group: Source, countingZeros: Bool, scratch: UnsafeMutableBufferPointer<UInt32>,
    bits: UnsafeMutableBufferPointer<UInt64>, into words: UnsafeMutableBufferPointer<UInt64>,
    atBit start: Int, prunedCount: (_ zeros: Int) -> Int
  ) {
    let count = group.count
    let keys = UnsafeMutableBufferPointer(rebasing: scratch[0 ..< count])
    group.fillKeys(0 ..< count, into: keys)
    let readable = UnsafeBufferPointer(keys)
    let pruning = prunedCount(countingZeros ? KeyCount.zeros(in: readable) : 0)
    var threshold: UInt32 = 0
    if pruning > 0 {
      let copy = UnsafeMutableBufferPointer(rebasing: scratch[count ..< 2 * count])
      _ = copy.update(fromContentsOf: readable)
      threshold = select(
        copy, rank: pruning - 1,
        scratch: UnsafeMutableBufferPointer(rebasing: scratch[2 * count ..< 3 * count]))
    }
    var ties = pruning - readable.reduce(0) { $0 &+ Int(BranchFree.less($1, threshold)) }
    let wordCount = (count + 63) / 64
    let kept = UnsafeMutableBufferPointer(rebasing: bits[0 ..< wordCount])
    SelectionCut.keptWords(
      readable, threshold: threshold, into: kept,
      equal: UnsafeMutableBufferPointer(rebasing: bits[wordCount ..< 2 * wordCount]), quota: &ties)
    PruningMask.orBits(UnsafeBufferPointer(kept), into: words, atBit: start)
  }

  /// The key of rank `rank` (0-based) of `keys`: a quickselect whose partitions are
  /// branch-free (each key is written to both ends of the other buffer and only one end's
  /// cursor moves), so that random keys cost no mispredicted branches. Keys equal to the
  /// pivot are set aside in a second pass, so ties cannot stall it; the median-of-three
  /// pivot falls back to sorting after `rounds` partitions (default 2·log₂(n) + 8).
  /// `keys` and `scratch` (at least as long) are overwritten.
  static func select(
    _ keys: UnsafeMutableBufferPointer<UInt32>, rank: Int,
    scratch: UnsafeMutableBufferPointer<UInt32>, rounds: Int? = nil
  ) -> UInt32 {
    precondition(rank >= 0 && rank < keys.count && scratch.count >= keys.count)
    var (current, other) = (keys, scratch)
    var (count, rank) = (keys.count, rank)
    if let (inside, below) = narrowed(keys, rank: rank, into: scratch) {
      (current, other, count, rank) = (scratch, keys, inside, rank - below)
    }
    var rounds = rounds ?? 2 * (Int.bitWidth - keys.count.leadingZeroBitCount) + 8
    while true {
      rounds -= 1
      if count <= 16 || rounds <= 0 {
        var remaining = UnsafeMutableBufferPointer(rebasing: current[0 ..< count])
        remaining.sort()
        return remaining[rank]
      }
      let (a, b, c) = (current[0], current[count / 2], current[count - 1])
      let pivot = max(min(a, b), min(max(a, b), c))
      // Below the pivot to the front of `other`, the rest to its back.
      var (low, high) = (0, 0)
      for index in 0 ..< count {
        let key = current[index]
        let isLow = Int(BranchFree.less(key, pivot))
        other[low] = key
        other[count - 1 - high] = key
        low &+= isLow
        high &+= 1 &- isLow
      }
      if rank < low {
        (current, other, count) = (other, current, low)
        continue
      }
      // At or above the pivot: the ones equal to it answer, or drop out.
      var above = 0
      for index in low ..< count {
        let key = other[index]
        current[above] = key
        above &+= Int(BranchFree.less(pivot, key))
      }
      let equal = count - low - above
      if rank - low < equal { return pivot }
      rank -= low + equal
      count = above
    }
  }

  /// Floyd–Rivest's first step: two keys of an evenly spaced sample of 64 that bracket the
  /// key of rank `rank`, and one branch-free pass that counts the keys below the bracket and
  /// gathers those inside it (bounds included) to the front of `target`. Returns how many
  /// were gathered and how many lie below, when the key of rank `rank` is among the gathered
  /// — about an eighth of the keys — and nil otherwise (or for too few keys to sample).
  private static func narrowed(
    _ keys: UnsafeMutableBufferPointer<UInt32>, rank: Int,
    into target: UnsafeMutableBufferPointer<UInt32>
  ) -> (inside: Int, below: Int)? {
    let count = keys.count
    let sampleCount = 64
    guard count >= 16 * sampleCount else { return nil }
    var sample = (0 ..< sampleCount).map { keys[$0 * count / sampleCount + count / (2 * sampleCount)] }
    sample.sort()
    let center = rank * sampleCount / count
    let lo = sample[max(0, center - 4)]
    let hi = sample[min(sampleCount - 1, center + 4)]
    var (below, inside) = (0, 0)
    for index in 0 ..< count {
      let key = keys[index]
      below &+= Int(BranchFree.less(key, lo))
      target[inside] = key
      inside &+= Int((1 &- BranchFree.less(key, lo)) & BranchFree.lessOrEqual(key, hi))
    }
    return rank >= below && rank < below + inside ? (inside, below) : nil
  }

  /// The fewest whole rows of `columns` units whose bits fill whole 64-bit words of a mask
  /// (64 / gcd(columns, 64)): bands of a multiple of it start on a word of their own.
  static func wordAlignedRows(columns: Int) -> Int {
    64 >> min(6, columns.trailingZeroBitCount)
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
