// Global pruning: one ranking across many tensors, k = floor(sparsity × total) pruned over
// their union, ties to the lower (tensor order, index). The tensors are never concatenated:
// the selection reads them as consecutive segments of one key source, a block at a time, and
// its chunks never straddle two tensors, so the answer — a threshold key and per chunk how
// many keys equal to it are pruned — splits into one ordinary cut per tensor. Each tensor is
// then pruned on its own with its share, which is how a checkpoint larger than memory is
// pruned globally while streaming tensor by tensor.

/// The answer of a global ranking, ready to prune each of its tensors on its own.
public struct GlobalCut: Sendable {
  /// Per tensor (in ranking order): its name, shape, first unit in the ranking and share of
  /// the cut.
  struct Member: Sendable {
    /// The tensor's name.
    let name: String
    /// The shape it was ranked with.
    let shape: [Int]
    /// The element type it was ranked with.
    let scalar: any PrunableScalar.Type
    /// Its first element's place in the ranking (where its random stream starts).
    let firstUnit: Int
    /// Its share: the threshold key and, per chunk of its own, how many keys equal to it go.
    let cut: SelectionCut
  }

  /// The configuration the ranking used.
  public let config: PruningConfig
  /// How many weights the cut prunes over all tensors (zeros of earlier rounds included).
  public let prunedCount: Int
  /// How many weights the tensors hold in all.
  public let totalCount: Int
  /// Every ranked tensor, in ranking order.
  let members: [Member]
  /// Where each tensor's name is in `members`.
  let indexByName: [String: Int]
}

extension Pruner {
  /// Ranks the weights of `tensors` together and decides how many of each to prune, without
  /// changing them: `config.scope` must be `.global`. Then prune each tensor with
  /// `prune(_:shape:name:input:following:)`.
  ///
  /// An empty list ranks nothing: its cut prunes nothing.
  ///
  /// - Throws: `PruningError` for an empty tensor, duplicate names, unfit score input,
  ///   `minNonzero` above the total, or non-finite weights.
  /// - Complexity: O(total) time, two or three passes over the tensors; memory O(chunks):
  ///   no score array, no copy of the weights.
  public func globalCut(_ tensors: [RankedTensor]) throws(PruningError) -> GlobalCut {
    guard config.scope == .global else {
      throw .scopeMismatch(scope: config.scope.rawValue, call: "a global ranking")
    }
    var indexByName = [String: Int]()
    var firstUnits = [Int]()
    var total = 0
    try checkRanked(tensors)
    for (index, tensor) in tensors.enumerated() {
      guard indexByName.updateValue(index, forKey: tensor.name) == nil else {
        throw .duplicateTensor(name: tensor.name)
      }
      firstUnits.append(total)
      total += tensor.count
    }
    guard tensors.isEmpty || config.minNonzero <= total else {
      throw .minNonzeroExceedsCount(
        name: "the \(tensors.count) ranked tensors", minNonzero: config.minNonzero, count: total)
    }
    let zerosFirst = config.iterative != nil
    let keys = rankingKeys(tensors, firstUnits: firstUnits, zerosFirst: zerosFirst)
    let reveals = keysRevealNonFiniteWeights
    if !reveals { try checkFinite(tensors) }
    let alreadyPruned = zerosFirst ? KeyCount.zeros(in: keys) : 0
    let k = config.prunedUnitCount(units: total, unitSize: 1, alreadyPruned: alreadyPruned)
    let cut = LowestKSelection.cut(keys, pruning: k, threads: threadCount)
    if reveals && cut.nonFiniteKeys != 0 { try checkFinite(tensors) }
    let layout = ChunkLayout(segmentCounts: tensors.map(\.count))
    let members = tensors.indices.map { index in
      GlobalCut.Member(
        name: tensors[index].name, shape: tensors[index].shape, scalar: tensors[index].scalar,
        firstUnit: firstUnits[index], cut: cut.restricted(to: layout.segments[index]))
    }
    return GlobalCut(
      config: config, prunedCount: k, totalCount: total, members: members,
      indexByName: indexByName)
  }

  /// Prunes one tensor of a global ranking in place with its share of `cut`.
  ///
  /// - Parameters:
  ///   - values: the tensor's weights, as they were when the cut was made.
  ///   - name: the tensor's name in the ranking; `shape` must be the one ranked.
  ///   - input: the same score input as in the ranking.
  /// - Throws: `PruningError.unknownTensor` for a tensor the cut did not rank, a shape or
  ///   element type that differs from the ranked one (the cut's keys are those of the ranked
  ///   values: Float weights rounded to Float16 score differently), or score input unfit for
  ///   the metric (checked as the ranking checked it, so that scoring never reads past the
  ///   end of the input).
  public func prune<Scalar: PrunableScalar>(
    _ values: inout MutableSpan<Scalar>, shape: [Int], name: String, input: ScoreInput? = nil,
    following cut: GlobalCut
  ) throws(PruningError) -> PruningMask {
    try values.withUnsafeMutableBufferPointer { values throws(PruningError) in
      try share(of: cut, values, shape: shape, name: name, input: input, zeroing: true)
    }
  }

  /// The mask that `prune(_:shape:name:input:following:)` would return, without changing
  /// the weights: a dry run over weights read where they lie (a mapped checkpoint, say).
  ///
  /// - Throws: as `prune(_:shape:name:input:following:)`.
  public func mask<Scalar: PrunableScalar>(
    of values: Span<Scalar>, shape: [Int], name: String, input: ScoreInput? = nil,
    following cut: GlobalCut
  ) throws(PruningError) -> PruningMask {
    try values.withUnsafeBufferPointer { values throws(PruningError) in
      // Never written: the share is told not to zero.
      try share(
        of: cut, UnsafeMutableBufferPointer(mutating: values), shape: shape, name: name,
        input: input, zeroing: false)
    }
  }

  /// The mask of one tensor's share of `cut`, checked as the ranking checked the tensor;
  /// with `zeroing`, the pruned weights are zeroed in the pass that decides the mask.
  private func share<Scalar: PrunableScalar>(
    of cut: GlobalCut, _ values: UnsafeMutableBufferPointer<Scalar>, shape: [Int], name: String,
    input: ScoreInput?, zeroing: Bool
  ) throws(PruningError) -> PruningMask {
    guard let index = cut.indexByName[name] else { throw .unknownTensor(name: name) }
    let member = cut.members[index]
    guard member.shape == shape else {
      throw .rankedShapeMismatch(name: name, ranked: member.shape, given: shape)
    }
    guard WeightTensor.elementCount(of: shape) == values.count else {
      throw .shapeMismatch(name: name, shape: shape, valueCount: values.count)
    }
    guard member.scalar == Scalar.self else {
      throw .rankedElementTypeMismatch(
        name: name, ranked: "\(member.scalar)", given: "\(Scalar.self)")
    }
    let columns = shape.count == 2 ? shape[1] : values.count
    try ScoreInputValidation.validate(
      input, metric: cut.config.metric, name: name, rows: values.count / columns,
      columns: columns)
    let scoring = ElementScoring(
      cut.config.metric, input: input, columns: columns, firstStep: member.firstUnit)
    return GlobalShare(
      cut: member.cut, scoring: scoring, zerosFirst: cut.config.iterative != nil,
      threads: threadCount, zeroing: zeroing
    ).runSpecialized(values)
  }

  /// Checks that every tensor of a ranking can be ranked: not empty, with the score input its
  /// metric needs in the shape it needs (before any pass reads that input).
  func checkRanked(_ tensors: [RankedTensor]) throws(PruningError) {
    for tensor in tensors {
      guard tensor.count > 0 else { throw .emptyTensor(name: tensor.name) }
      let (rows, columns) = tensor.matrixShape
      try ScoreInputValidation.validate(
        tensor.input, metric: config.metric, name: tensor.name, rows: rows, columns: columns)
    }
  }

  /// The keys of `tensors` as consecutive segments of one ranking, each tensor's scored from
  /// its first place in the ranking, `firstUnits[i]`; each tensor's pages are handed back
  /// once a pass has moved past it.
  func rankingKeys(_ tensors: [RankedTensor], firstUnits: [Int], zerosFirst: Bool)
    -> SegmentedKeys
  {
    SegmentedKeys(
      segments: tensors.indices.map { index in
        tensors[index].keys(
          scoring: ElementScoring(
            config.metric, input: tensors[index].input,
            columns: tensors[index].matrixShape.columns, firstStep: firstUnits[index]),
          zerosFirst: zerosFirst)
      },
      releases: tensors.map(\.release))
  }

  /// Whether the metric's keys of a NaN or ±Inf weight are themselves non-finite, so that
  /// counting non-finite keys finds such weights (else they are looked for separately).
  var keysRevealNonFiniteWeights: Bool {
    ElementScoring(config.metric, input: nil, columns: 1).revealsNonFiniteWeights
  }

  /// Throws for the first tensor holding NaN or ±Inf weights, read as |w| keys.
  func checkFinite(_ tensors: [RankedTensor]) throws(PruningError) {
    for tensor in tensors {
      let keys = tensor.keys(
        scoring: ElementScoring(kind: .magnitude(squared: false)), zerosFirst: false)
      let count = KeyCount.nonFinite(in: keys)
      tensor.release()
      guard count == 0 else { throw .nonFiniteWeights(name: tensor.name, count: count) }
    }
  }
}

/// Pruning one tensor with its share of a global cut, run specialised for its scalar type;
/// without `zeroing` (a dry run) the mask is decided and the values never written.
private struct GlobalShare: ScalarOperation {
  let cut: SelectionCut
  let scoring: ElementScoring
  let zerosFirst: Bool
  let threads: Int
  let zeroing: Bool

  func run<Scalar: PrunableScalar>(_ values: UnsafeMutableBufferPointer<Scalar>) -> PruningMask {
    let keys = ElementScoreKeys(
      values: UnsafeBufferPointer(values), scoring: scoring, zerosFirst: zerosFirst)
    guard zeroing else { return cut.mask(of: keys, threads: threads) }
    return cut.mask(of: keys, threads: threads) { start, kept in
      PruningMask.zero(values, from: start, keeping: kept)
    }
  }
}
