// Exact selection of the k lowest scores in O(n), without sorting and without
// materialising the scores: keys are computed on the fly from their source in each pass.
//
// Fast path (two passes over the data, the second one being the pruning pass itself):
//  1. A stratified sample of keys brackets the k-th key between two sample keys lo < hi.
//  2. One branch-free pass counts, per chunk, the keys below lo, equal to lo and equal to
//     hi, and gathers the few keys strictly between them.
//  3. The k-th key is found among the gathered candidates (or is lo or hi itself, which
//     makes heavy ties — zeros already pruned, few distinct values — cheap).
// If the sample was unlucky (k-th key outside the bracket) or the bracket holds too many
// keys, a two-level 16-bit radix selection finds the k-th key in two counting passes
// instead. Either way the answer is the exact threshold key and, per chunk, how many of the
// keys equal to it are pruned, lowest index first.

import Synchronization

/// Finds the cut that prunes exactly k units: the k lowest keys, ties to the lower index.
enum LowestKSelection {
  /// Keys in the sample that brackets the k-th key, for up to `sampleSize << 12` units; more
  /// units take a proportionally larger sample (up to `maximumSampleSize`), so that the keys
  /// inside the bracket — about 7·√(p(1−p)/sample) of all — stay few when a global ranking
  /// spans billions of weights.
  static let sampleSize = 1 << 14
  /// The largest sample.
  static let maximumSampleSize = 1 << 20
  /// The gathering pass holds at most this many candidate keys (64 MB), whatever n: beyond,
  /// the radix fallback takes over.
  static let maximumCandidates = 1 << 24
  /// The sample is drawn in runs of this many consecutive keys, one run per stratum: a
  /// quarter of the cache misses of single keys.
  static let sampleRun = 4
  /// Up to this many units, the bracket spans everything and the gathered keys are sorted.
  static let smallCount = 1 << 15
  /// Keys processed per block, in a scratch buffer of the worker.
  static let blockSize = 1024

  /// The cut that prunes exactly `k` of the units of `source`.
  ///
  /// - Parameters:
  ///   - source: the units' keys.
  ///   - k: how many to prune, in `0 ... source.count`.
  ///   - threads: how many threads the passes may use; the result does not depend on it.
  /// - Complexity: O(n) time; extra memory at most min(n / 8, `maximumCandidates`) keys,
  ///   typically O(√n·chunks).
  static func cut<Source: KeySource>(_ source: Source, pruning k: Int, threads: Int)
    -> SelectionCut
  {
    let n = source.count
    precondition(k >= 0 && k <= n, "k = \(k) out of 0...\(n)")
    let layout = ChunkLayout(segmentCounts: source.segmentCounts)
    if k == 0 { return .none(layout) }
    if k == n { return .all(layout) }
    let rank = k - 1
    let bracket = n <= smallCount ? (lo: UInt32(0), hi: UInt32.max) : sampleBracket(source, rank)
    if let cut = bracketedCut(source, k: k, bracket: bracket, layout: layout, threads: threads) {
      return cut
    }
    let (threshold, below, nonFinite) = radixSelect(
      source, rank: rank, layout: layout, threads: threads)
    let equalCounts = countEqual(source, to: threshold, layout: layout, threads: threads)
    return SelectionCut(
      threshold: threshold, ties: k - below, equalCounts: equalCounts, nonFiniteKeys: nonFinite)
  }

  /// The key of rank `rank` (0-based: 0 is the lowest) among the keys of `source`.
  static func key<Source: KeySource>(ofRank rank: Int, in source: Source, threads: Int = 1)
    -> UInt32
  {
    precondition(rank >= 0 && rank < source.count, "rank \(rank) out of 0..<\(source.count)")
    if rank + 1 < source.count {
      return cut(source, pruning: rank + 1, threads: threads).threshold
    }
    var highest: UInt32 = 0
    withUnsafeTemporaryAllocation(of: UInt32.self, capacity: blockSize) { keys in
      for start in stride(from: 0, to: source.count, by: blockSize) {
        let end = min(start + blockSize, source.count)
        source.fillKeys(start ..< end, into: keys)
        highest = keys[0 ..< end - start].reduce(highest) { max($0, $1) }
      }
    }
    return highest
  }

  /// The key of rank `rank` among gathered candidate keys.
  private static func key(ofRank rank: Int, in keys: UnsafeBufferPointer<UInt32>) -> UInt32 {
    keys.count <= smallCount
      ? keys.sorted()[rank] : key(ofRank: rank, in: KeyArrayKeys(keys: keys))
  }

  // MARK: - The fast path

  /// Two keys of a stratified sample (n ≥ `smallCount` ≫ the sample) that bracket the key of
  /// rank `rank` with high probability: ±3.5 standard deviations of the sample quantile (a miss, about 1 in 2000,
  /// costs the radix fallback, never a wrong answer).
  private static func sampleBracket<Source: KeySource>(_ source: Source, _ rank: Int)
    -> (lo: UInt32, hi: UInt32)
  {
    let n = source.count
    let size = min(maximumSampleSize, max(sampleSize, n >> 12)) / sampleRun * sampleRun
    let strata = size / sampleRun
    var sample = [UInt32](repeating: 0, count: size)
    var state: UInt64 = 0x5EED_B0A5_A1
    // A segment's pages are let go of as soon as the strata have moved past it: a fault on
    // a file mapping can map a large folio, so sampling every segment before letting go
    // would hold far more than one segment.
    let segmentEnds = source.segmentCounts.reduce(into: [Int]()) { $0.append(($0.last ?? 0) + $1) }
    var released = 0
    sample.withUnsafeMutableBufferPointer { sample in
      for stratum in 0 ..< strata {
        let start = stratum * n / strata
        while released < segmentEnds.count - 1 && segmentEnds[released] <= start {
          source.finished(segment: released)
          released += 1
        }
        let width = (stratum + 1) * n / strata - start - sampleRun
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        let offset = Int((state >> 33) % UInt64(max(width, 1)))
        let slots = stratum * sampleRun ..< (stratum + 1) * sampleRun
        source.fillKeys(
          start + offset ..< start + offset + sampleRun,
          into: UnsafeMutableBufferPointer(rebasing: sample[slots]))
      }
    }
    for segment in released ..< segmentEnds.count { source.finished(segment: segment) }
    sample.sort()
    let fraction = Double(rank) / Double(n)
    let center = Int(fraction * Double(size))
    let margin = Int(3.5 * (Double(size) * fraction * (1 - fraction)).squareRoot()) + 4
    var lo = center - margin <= 0 ? 0 : sample[center - margin]
    var hi = center + margin >= size - 1 ? UInt32.max : sample[center + margin]
    if lo == hi {
      if hi < .max { hi += 1 } else { lo -= 1 }
    }
    return (lo, hi)
  }

  /// What one chunk's gathering pass found.
  private struct ChunkTally {
    var below = 0
    var equalLo = 0
    var equalHi = 0
    var nonFinite = 0
    var inside: [UInt32] = []
  }

  /// The cut, if the key of rank k−1 lies in `[lo, hi]` and the keys strictly inside fit
  /// the memory budget; nil otherwise.
  private static func bracketedCut<Source: KeySource>(
    _ source: Source, k: Int, bracket: (lo: UInt32, hi: UInt32), layout: ChunkLayout,
    threads: Int
  ) -> SelectionCut? {
    let (lo, hi) = bracket
    let budget = CandidateBudget(
      limit: max(smallCount, min(source.count / 8, maximumCandidates)))
    var tallies = [ChunkTally](repeating: ChunkTally(), count: layout.chunkCount)
    tallies.withUnsafeMutableBufferPointer { tallies in
      Parallel.forEachWorker(over: layout, threads: threads, finished: source.finished) {
        _, chunks in
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: ChunkLayout.chunkSize + 8) {
          scratch in
          for chunk in chunks where !budget.isExhausted {
            tallies[chunk] = tally(
              source, layout.units(ofChunk: chunk), lo: lo, hi: hi, scratch: scratch)
            if !budget.take(tallies[chunk].inside.count) { return }
          }
        }
      }
    }
    if budget.isExhausted { return nil }

    let rank = k - 1
    let below = tallies.reduce(0) { $0 + $1.below }
    let equalLo = tallies.reduce(0) { $0 + $1.equalLo }
    let inside = tallies.reduce(0) { $0 + $1.inside.count }
    let equalHi = tallies.reduce(0) { $0 + $1.equalHi }
    let nonFinite = tallies.reduce(0) { $0 + $1.nonFinite }
    if rank < below {
      return nil
    } else if rank < below + equalLo {
      return SelectionCut(
        threshold: lo, ties: k - below, equalCounts: tallies.map(\.equalLo),
        nonFiniteKeys: nonFinite)
    } else if rank < below + equalLo + inside {
      let candidates = tallies.flatMap(\.inside)
      let threshold = candidates.withUnsafeBufferPointer {
        key(ofRank: rank - below - equalLo, in: $0)
      }
      var less = below + equalLo
      var equalCounts = [Int]()
      equalCounts.reserveCapacity(tallies.count)
      for tally in tallies {
        var equal = 0
        for key in tally.inside {
          less &+= Int(BranchFree.less(key, threshold))
          equal &+= Int(BranchFree.equal(key, threshold))
        }
        equalCounts.append(equal)
      }
      return SelectionCut(
        threshold: threshold, ties: k - less, equalCounts: equalCounts, nonFiniteKeys: nonFinite)
    } else if rank < below + equalLo + inside + equalHi {
      return SelectionCut(
        threshold: hi, ties: k - (below + equalLo + inside), equalCounts: tallies.map(\.equalHi),
        nonFiniteKeys: nonFinite)
    }
    return nil
  }

  /// One chunk of the gathering pass: per block of keys, `bonsai_tally_keys` counts the keys
  /// below lo, equal to lo and equal to hi, and gathers those strictly inside (lo, hi).
  private static func tally<Source: KeySource>(
    _ source: Source, _ units: Range<Int>, lo: UInt32, hi: UInt32,
    scratch: UnsafeMutableBufferPointer<UInt32>
  ) -> ChunkTally {
    precondition(scratch.count >= units.count + 8, "gathering scratch too small")
    return withUnsafeTemporaryAllocation(of: UInt32.self, capacity: blockSize) { keys in
      var counts: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
      var gathered = 0
      for start in stride(from: units.lowerBound, to: units.upperBound, by: blockSize) {
        let count = min(blockSize, units.upperBound - start)
        source.fillKeys(start ..< start + count, into: keys)
        gathered += withUnsafeMutableBytes(of: &counts) { counts in
          Kernels.tally(
            keys: UnsafeBufferPointer(rebasing: keys[0 ..< count]), lo: lo, hi: hi,
            flag: ScoreKey.infiniteMagnitude, counts: counts.assumingMemoryBound(to: UInt64.self),
            inside: UnsafeMutableBufferPointer(rebasing: scratch[gathered...]))
        }
      }
      return ChunkTally(
        below: Int(counts.0), equalLo: Int(counts.1), equalHi: Int(counts.2),
        nonFinite: Int(counts.3), inside: Array(scratch[0 ..< gathered]))
    }
  }

  // MARK: - The radix fallback

  /// The key of rank `rank`, the number of keys below it and the number at or above
  /// `ScoreKey.infiniteMagnitude`, by two counting passes: one histogram of the upper 16
  /// bits, then one of the lower 16 bits inside the chosen bin.
  private static func radixSelect<Source: KeySource>(
    _ source: Source, rank: Int, layout: ChunkLayout, threads: Int
  ) -> (threshold: UInt32, below: Int, nonFinite: Int) {
    let high = histogram(source, layout: layout, threads: threads) { key in Int(key >> 16) }
    let nonFinite = high[Int(ScoreKey.infiniteMagnitude >> 16)...].reduce(0, +)
    let (highBin, belowHigh) = bin(containing: rank, in: high)
    let low = histogram(source, layout: layout, threads: threads) { key in
      key >> 16 == highBin ? Int(key & 0xFFFF) : nil
    }
    let (lowBin, belowLow) = bin(containing: rank - belowHigh, in: low)
    return (UInt32(highBin) << 16 | UInt32(lowBin), belowHigh + belowLow, nonFinite)
  }

  /// Counts of `bucket(key)` over all keys (keys whose bucket is nil are skipped), summed
  /// over per-worker histograms.
  private static func histogram<Source: KeySource>(
    _ source: Source, layout: ChunkLayout, threads: Int, bucket: (UInt32) -> Int?
  ) -> [Int] {
    let workers = max(1, min(threads, layout.chunkCount))
    var perWorker = [[Int]](repeating: [], count: workers)
    perWorker.withUnsafeMutableBufferPointer { perWorker in
      Parallel.forEachWorker(over: layout, threads: workers, finished: source.finished) {
        worker, chunks in
        // A worker's counts carry over from one segment to the next.
        var counts = perWorker[worker]
        perWorker[worker] = []
        if counts.isEmpty { counts = [Int](repeating: 0, count: 1 << 16) }
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: blockSize) { keys in
          for chunk in chunks {
            let units = layout.units(ofChunk: chunk)
            for start in stride(from: units.lowerBound, to: units.upperBound, by: blockSize) {
              let end = min(start + blockSize, units.upperBound)
              source.fillKeys(start ..< end, into: keys)
              for index in 0 ..< end - start {
                if let bin = bucket(keys[index]) { counts[bin] &+= 1 }
              }
            }
          }
        }
        perWorker[worker] = counts
      }
    }
    return perWorker.dropFirst().reduce(into: perWorker[0]) { total, counts in
      for bin in counts.indices { total[bin] &+= counts[bin] }
    }
  }

  /// The bin that holds the element of rank `rank` and how many elements lie in lower bins.
  static func bin(containing rank: Int, in counts: [Int]) -> (UInt32, Int) {
    var below = 0
    for (bin, count) in counts.enumerated() {
      if rank < below + count { return (UInt32(bin), below) }
      below += count
    }
    preconditionFailure("rank \(rank) beyond \(below) keys")
  }

  /// Per chunk, how many keys equal `threshold`.
  static func countEqual<Source: KeySource>(
    _ source: Source, to threshold: UInt32, layout: ChunkLayout, threads: Int
  ) -> [Int] {
    var counts = [Int](repeating: 0, count: layout.chunkCount)
    counts.withUnsafeMutableBufferPointer { counts in
      Parallel.forEachWorker(over: layout, threads: threads, finished: source.finished) {
        _, chunks in
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: blockSize) { keys in
          for chunk in chunks {
            let units = layout.units(ofChunk: chunk)
            var equal = 0
            for start in stride(from: units.lowerBound, to: units.upperBound, by: blockSize) {
              let end = min(start + blockSize, units.upperBound)
              source.fillKeys(start ..< end, into: keys)
              for index in 0 ..< end - start {
                equal &+= Int(BranchFree.equal(keys[index], threshold))
              }
            }
            counts[chunk] = equal
          }
        }
      }
    }
    return counts
  }
}

/// A shared cap on how many candidate keys the gathering pass may hold at once.
private final class CandidateBudget: Sendable {
  private let used = Atomic<Int>(0)
  private let limit: Int

  init(limit: Int) {
    self.limit = limit
  }

  /// Whether some chunk has already gone over the budget.
  var isExhausted: Bool { used.load(ordering: .relaxed) > limit }

  /// Takes `count` candidates from the budget; false once the budget is exceeded.
  func take(_ count: Int) -> Bool {
    used.add(count, ordering: .relaxed).newValue <= limit
  }
}
