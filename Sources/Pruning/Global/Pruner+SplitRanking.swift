// A global ranking split over machines, each holding some of the ranked tensors and none all
// of them. The k-th lowest key of the whole ranking is pinned by exact counts that add up
// across machines: a histogram of the upper 16 bits of every key, then one of the lower 16
// bits inside the bin holding the k-th key, kept per tensor so that the count of keys equal
// to the threshold is known tensor by tensor. The cut these give is the one
// `Pruner.globalCut(_:)` makes over all the tensors at once — the same threshold key, the
// ties to the lower tensor in ranking order, then to the lower index — so each machine
// prunes its tensors to the same bits as one machine pruning them all.

/// The cut of a split global ranking, in numbers every machine applies to its own tensors:
/// prune the keys below `threshold` and, of the keys equal to it, the first `tieQuotas[name]`
/// of each tensor.
public struct SplitCut: Codable, Sendable, Equatable {
  /// Keys below this are pruned.
  public let threshold: UInt32
  /// Per tensor name, how many of its keys equal to `threshold` are pruned (absent: none).
  public let tieQuotas: [String: Int]
  /// How many weights the cut prunes over all tensors.
  public let prunedCount: Int
  /// How many weights the ranked tensors hold in all.
  public let totalCount: Int
}

/// What a split global ranking needs next, given the counts so far.
public enum SplitRankingStep: Sendable, Equatable {
  /// The lower 16 bits of the keys in this upper-16-bit bin must be counted.
  case refine(highBin: UInt32)
  /// The cut is known.
  case cut(SplitCut)
}

extension Pruner {
  /// Counts the ranking keys of some tensors of a global ranking (`config.scope` must be
  /// `.global`), each scored as `globalCut(_:)` scores it.
  ///
  /// - Parameters:
  ///   - tensors: the tensors, in ranking order among themselves.
  ///   - firstUnits: each tensor's first element's place in the whole ranking (the sum of
  ///     the sizes of the tensors ranked before it).
  ///   - highBin: nil to count every key by its upper 16 bits (and check that every weight
  ///     is finite); else the bin whose keys are counted by their lower 16 bits.
  /// - Throws: `PruningError` for an empty tensor, unfit score input or non-finite weights.
  /// - Complexity: O(total) time, one pass (two when the metric hides non-finite weights);
  ///   memory O(bins used).
  public func keyHistogram(
    _ tensors: [RankedTensor], firstUnits: [Int], highBin: UInt32?
  ) throws(PruningError) -> KeyHistogram {
    guard config.scope == .global else {
      throw .scopeMismatch(scope: config.scope.rawValue, call: "a global ranking")
    }
    precondition(firstUnits.count == tensors.count, "one first unit per tensor")
    try checkRanked(tensors)
    let zerosFirst = config.iterative != nil
    let keys = rankingKeys(tensors, firstUnits: firstUnits, zerosFirst: zerosFirst)
    let histogram = Self.count(keys, names: tensors.map(\.name), highBin: highBin)
    if highBin == nil {
      let flagged = Int(ScoreKey.infiniteMagnitude >> 16)
      let nonFinite = histogram.totals[flagged...].reduce(0, +)
      if !keysRevealNonFiniteWeights || nonFinite != 0 { try checkFinite(tensors) }
    }
    return histogram
  }

  /// The next step of a split global ranking over tensors named `names` (in ranking order)
  /// holding `totalCount` weights, given the merged upper-bit counts of all of them and, once
  /// asked for, the merged lower-bit counts inside the bin named by `.refine`.
  public func splitRankingStep(
    names: [String], totalCount: Int, coarse: KeyHistogram, fine: KeyHistogram?
  ) -> SplitRankingStep {
    let alreadyPruned = config.iterative != nil ? coarse.zeroKeys : 0
    let k = config.prunedUnitCount(units: totalCount, unitSize: 1, alreadyPruned: alreadyPruned)
    let cut = { (threshold: UInt32, ties: [String: Int]) in
      SplitRankingStep.cut(
        SplitCut(threshold: threshold, tieQuotas: ties, prunedCount: k, totalCount: totalCount))
    }
    if k == 0 { return cut(0, [:]) }
    if k == totalCount { return cut(ScoreKey.aboveAll, [:]) }
    let (high, belowHigh) = LowestKSelection.bin(containing: k - 1, in: coarse.totals)
    guard let fine, fine.highBin == high else { return .refine(highBin: high) }
    let (low, belowLow) = LowestKSelection.bin(containing: k - 1 - belowHigh, in: fine.totals)
    var remaining = k - belowHigh - belowLow
    var quotas = [String: Int]()
    for name in names where remaining > 0 {
      let quota = min(fine.count(of: name, in: low), remaining)
      if quota > 0 { quotas[name] = quota }
      remaining -= quota
    }
    return cut(high << 16 | low, quotas)
  }

  /// The cut of a split global ranking for some of its tensors, to prune each of them with
  /// `prune(_:shape:name:input:following:)` as `globalCut(_:)` would have.
  ///
  /// - Parameters:
  ///   - tensors: the tensors, with the weights and score input they were counted with.
  ///   - firstUnits: each one's first element's place in the whole ranking.
  ///   - split: the cut the counts of every tensor gave.
  /// - Throws: `PruningError` for an empty tensor or unfit score input.
  /// - Complexity: one pass over each tensor with a tie quota, none over the others.
  public func globalCut(
    _ tensors: [RankedTensor], firstUnits: [Int], following split: SplitCut
  ) throws(PruningError) -> GlobalCut {
    guard config.scope == .global else {
      throw .scopeMismatch(scope: config.scope.rawValue, call: "a global ranking")
    }
    precondition(firstUnits.count == tensors.count, "one first unit per tensor")
    try checkRanked(tensors)
    let keys = rankingKeys(tensors, firstUnits: firstUnits, zerosFirst: config.iterative != nil)
    let members = tensors.indices.map { index in
      let tensor = tensors[index]
      let layout = ChunkLayout(count: tensor.count)
      let ties = split.tieQuotas[tensor.name] ?? 0
      let equal =
        ties == 0
        ? [Int](repeating: 0, count: layout.chunkCount)
        : LowestKSelection.countEqual(
          keys.segments[index], to: split.threshold, layout: layout, threads: threadCount)
      keys.finished(segment: index)
      return GlobalCut.Member(
        name: tensor.name, shape: tensor.shape, scalar: tensor.scalar,
        firstUnit: firstUnits[index],
        cut: SelectionCut(
          threshold: split.threshold, ties: ties, equalCounts: equal, nonFiniteKeys: nil))
    }
    return GlobalCut(
      config: config, prunedCount: split.prunedCount, totalCount: split.totalCount,
      members: members,
      indexByName: Dictionary(uniqueKeysWithValues: members.indices.map { (members[$0].name, $0) }))
  }

  /// One pass over the keys, tensor by tensor, counting bins: over all of them, and with
  /// `highBin` per tensor too.
  private static func count(_ keys: SegmentedKeys, names: [String], highBin: UInt32?) -> KeyHistogram {
    let blockSize = LowestKSelection.blockSize
    var totals = [Int](repeating: 0, count: 1 << 16)
    var binsByTensor = [String: [[Int]]]()
    var zeroKeys = 0
    withUnsafeTemporaryAllocation(of: UInt32.self, capacity: blockSize) { block in
      for (segment, name) in names.enumerated() {
        var bins = [Int](repeating: 0, count: highBin == nil ? 0 : 1 << 16)
        let units = keys.starts[segment] ..< keys.starts[segment + 1]
        for start in stride(from: units.lowerBound, to: units.upperBound, by: blockSize) {
          let end = min(start + blockSize, units.upperBound)
          keys.fillKeys(start ..< end, into: block)
          for key in block[0 ..< end - start] {
            if let highBin {
              if key >> 16 == highBin { bins[Int(key & 0xFFFF)] += 1 }
            } else {
              totals[Int(key >> 16)] += 1
              zeroKeys &+= Int(BranchFree.equal(key, 0))
            }
          }
        }
        keys.finished(segment: segment)
        if highBin != nil {
          for bin in bins.indices { totals[bin] += bins[bin] }
          binsByTensor[name] = KeyHistogram.pairs(bins)
        }
      }
    }
    return KeyHistogram(
      highBin: highBin, tensors: Set(names), bins: KeyHistogram.pairs(totals),
      binsByTensor: binsByTensor, zeroKeys: zeroKeys)
  }
}
