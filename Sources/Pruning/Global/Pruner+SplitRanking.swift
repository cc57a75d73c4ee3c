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

  /// A cut of the given numbers.
  init(threshold: UInt32, tieQuotas: [String: Int], prunedCount: Int, totalCount: Int) {
    self.threshold = threshold
    self.tieQuotas = tieQuotas
    self.prunedCount = prunedCount
    self.totalCount = totalCount
  }

  private enum CodingKeys: String, CodingKey {
    case threshold, tieQuotas, prunedCount, totalCount
  }

  /// Decodes a cut and checks it as `Pruner.splitRankingStep` makes one: counts with
  /// 0 ≤ `prunedCount` ≤ `totalCount`, and positive tie quotas adding up to at most
  /// `prunedCount`.
  ///
  /// - Throws: `DecodingError.dataCorrupted` naming the field and what is wrong.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    let corrupt = { (key: CodingKeys, problem: String) in
      DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: problem)
    }
    threshold = try container.decode(UInt32.self, forKey: .threshold)
    tieQuotas = try container.decode([String: Int].self, forKey: .tieQuotas)
    prunedCount = try container.decode(Int.self, forKey: .prunedCount)
    totalCount = try container.decode(Int.self, forKey: .totalCount)
    guard totalCount >= 0 else { throw corrupt(.totalCount, "\(totalCount) is negative") }
    guard (0 ... totalCount).contains(prunedCount) else {
      throw corrupt(.prunedCount, "\(prunedCount) is not between 0 and totalCount \(totalCount)")
    }
    var ties = 0
    for (name, quota) in tieQuotas.sorted(by: { $0.key < $1.key }) {
      guard quota > 0, quota <= prunedCount - ties else {
        throw corrupt(
          .tieQuotas, "tensor \"\(name)\": quota \(quota) is not positive, or the quotas exceed prunedCount")
      }
      ties += quota
    }
  }
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
  /// - Throws: `PruningError` for an empty tensor, unfit score input, non-finite weights,
  ///   `firstUnits` not one non-negative place per tensor, two tensors of one name, or a
  ///   `highBin` above 65535.
  /// - Complexity: O(total) time, one pass (two when the metric hides non-finite weights);
  ///   memory O(bins used).
  public func keyHistogram(
    _ tensors: [RankedTensor], firstUnits: [Int], highBin: UInt32?
  ) throws(PruningError) -> KeyHistogram {
    guard config.scope == .global else {
      throw .scopeMismatch(scope: config.scope.rawValue, call: "a global ranking")
    }
    if let highBin, highBin > 0xFFFF {
      throw .invalidSplitRanking("bin \(highBin) is not an upper-16-bit bin (at most 65535)")
    }
    try checkPlaces(tensors, firstUnits: firstUnits)
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
  ///
  /// - Throws: `PruningError.invalidSplitRanking` when the counts are not of exactly the
  ///   tensors `names` (each once), `coarse` does not count `totalCount` keys by their upper
  ///   bits, or `fine` counts another number of keys than `coarse` has in its bin.
  public func splitRankingStep(
    names: [String], totalCount: Int, coarse: KeyHistogram, fine: KeyHistogram?
  ) throws(PruningError) -> SplitRankingStep {
    guard Set(names).count == names.count else {
      throw .invalidSplitRanking("a tensor name appears twice in the ranking")
    }
    guard coarse.highBin == nil, coarse.tensors == Set(names) else {
      throw .invalidSplitRanking(
        "the upper-bit counts must count every ranked tensor and no other, by upper bits")
    }
    guard coarse.keyCount == totalCount else {
      throw .invalidSplitRanking(
        "the counts hold \(coarse.keyCount) keys, the ranked tensors \(totalCount) weights")
    }
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
    guard fine.tensors == coarse.tensors, fine.keyCount == coarse.totals[Int(high)] else {
      throw .invalidSplitRanking(
        "the lower-bit counts of bin \(high) hold \(fine.keyCount) keys of "
          + "\(fine.tensors.count) tensors; the upper-bit counts, \(coarse.totals[Int(high)]) of "
          + "\(coarse.tensors.count)")
    }
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
  /// - Throws: `PruningError` for an empty tensor, unfit score input, `firstUnits` not one
  ///   non-negative place per tensor, two tensors of one name, or a tie quota above the
  ///   number of the tensor's keys equal to the threshold.
  /// - Complexity: one pass over each tensor with a tie quota, none over the others.
  public func globalCut(
    _ tensors: [RankedTensor], firstUnits: [Int], following split: SplitCut
  ) throws(PruningError) -> GlobalCut {
    guard config.scope == .global else {
      throw .scopeMismatch(scope: config.scope.rawValue, call: "a global ranking")
    }
    try checkPlaces(tensors, firstUnits: firstUnits)
    try checkRanked(tensors)
    let keys = rankingKeys(tensors, firstUnits: firstUnits, zerosFirst: config.iterative != nil)
    var members = [GlobalCut.Member]()
    for index in tensors.indices {
      let tensor = tensors[index]
      let layout = ChunkLayout(count: tensor.count)
      let ties = split.tieQuotas[tensor.name] ?? 0
      let equal =
        ties == 0
        ? [Int](repeating: 0, count: layout.chunkCount)
        : LowestKSelection.countEqual(
          keys.segments[index], to: split.threshold, layout: layout, threads: threadCount)
      keys.finished(segment: index)
      guard ties <= equal.reduce(0, +) else {
        throw .invalidSplitRanking(
          "tensor \"\(tensor.name)\": a tie quota of \(ties), but \(equal.reduce(0, +)) of its "
            + "keys equal the threshold")
      }
      members.append(GlobalCut.Member(
        name: tensor.name, shape: tensor.shape, scalar: tensor.scalar,
        firstUnit: firstUnits[index],
        cut: SelectionCut(
          threshold: split.threshold, ties: ties, equalCounts: equal, nonFiniteKeys: nil)))
    }
    return GlobalCut(
      config: config, prunedCount: split.prunedCount, totalCount: split.totalCount,
      members: members,
      indexByName: Dictionary(uniqueKeysWithValues: members.indices.map { (members[$0].name, $0) }))
  }

  /// Checks that `firstUnits` gives each of `tensors` (of distinct names) a place in the
  /// ranking, from 0, with room for its weights.
  private func checkPlaces(_ tensors: [RankedTensor], firstUnits: [Int]) throws(PruningError) {
    guard firstUnits.count == tensors.count else {
      throw .invalidSplitRanking(
        "\(firstUnits.count) first places given for \(tensors.count) tensors: one per tensor")
    }
    var names = Set<String>()
    for (tensor, first) in zip(tensors, firstUnits) {
      guard names.insert(tensor.name).inserted else { throw .duplicateTensor(name: tensor.name) }
      guard first >= 0, !first.addingReportingOverflow(tensor.count).overflow else {
        throw .invalidSplitRanking("tensor \"\(tensor.name)\": first place \(first) is out of range")
      }
    }
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
