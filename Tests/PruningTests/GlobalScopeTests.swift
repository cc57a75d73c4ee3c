// Global scope: the weights of several tensors ranked together, k = floor(s × total) pruned
// over their union (capped so that minNonzero survive), ties to the lower (tensor order,
// index) — which is pruning their concatenation as one tensor, random scores included (one
// LCG stream across the tensors). Checked against `ReferenceMethods.globalPruned` on models
// whose tensors are small, above the sampled selection's threshold (1 << 15) and above one
// chunk (1 << 16), from `Float` arrays and from unaligned `Float16` bytes.

import Synchronization
import Testing
import TestSupport
@testable import Pruning

/// The shapes of the test model: a long vector, a matrix of two chunks, and small matrices.
private let modelShapes: [[Int]] = [[40_000], [300, 250], [7, 12], [1, 8], [33, 64]]

/// A model of `shapes` with values from `seed`, named t0, t1, ….
private func model(
  seed: UInt64, shapes: [[Int]] = modelShapes, distinct: Int? = nil
) throws -> [WeightTensor] {
  var generator = SeededGenerator(seed: seed)
  return try shapes.enumerated().map { index, shape in
    let count = shape.reduce(1, *)
    let values = distinct.map { fastTiedFloats(&generator, count, distinct: $0) }
      ?? generator.uniformFloats(count, in: -2 ... 2)
    return try WeightTensor(name: "t\(index)", shape: shape, values: values)
  }
}

/// A pruner with global scope.
private func globalPruner(
  _ sparsity: Double, _ metric: ImportanceMetric = .l1Magnitude, minNonzero: Int = 1,
  iterative: IterativeMode? = nil, threads: Int = 2
) throws -> Pruner {
  Pruner(
    try PruningConfig(
      sparsity: sparsity, metric: metric, scope: .global, iterative: iterative,
      minNonzero: minNonzero),
    threadCount: threads)
}

/// The masks of pruning the concatenation of `tensors` as one tensor with `config`'s
/// options but tensor scope, split back per tensor.
private func concatenatedMasks(_ tensors: [WeightTensor], like config: PruningConfig) throws
  -> [[Bool]]
{
  var whole = try tensor(tensors.flatMap(\.values))
  let single = try PruningConfig(
    sparsity: config.sparsity, metric: config.metric, iterative: config.iterative,
    minNonzero: config.minNonzero)
  let flags = keptFlags(try Pruner(single, threadCount: 2).prune(&whole))
  var start = 0
  return tensors.map { t in
    defer { start += t.count }
    return Array(flags[start ..< start + t.count])
  }
}

/// Counts calls from any thread.
private final class CallCounter: Sendable {
  private let count = Mutex(0)
  func increment() { count.withLock { $0 += 1 } }
  var value: Int { count.withLock { $0 } }
}

@Suite struct GlobalScopeTests {
  /// Under L1 and L2 the masks equal the reference's one ranking, exactly floor(s × total)
  /// weights go, and the result is pruning the concatenation as one tensor.
  @Test(arguments: [ImportanceMetric.l1Magnitude, .l2Magnitude])
  func oneRankingAcrossTensors(metric: ImportanceMetric) throws {
    let original = try model(seed: 7_000)
    let total = original.reduce(0) { $0 + $1.count }
    let scores = original.map {
      ReferencePruning.elementScores($0.values, metric: metric.reference)
    }
    for sparsity in [0.3, 0.71] {
      let expected = ReferenceMethods.globalPruned(
        scores: scores, sparsity: sparsity, minNonzero: 1)
      var pruned = original
      let p = try globalPruner(sparsity, metric)
      let masks = try p.prune(&pruned)
      #expect(
        differences(masks.flatMap(prunedFlags), expected.flatMap { $0 }) == nil,
        "\(metric) \(sparsity)")
      #expect(
        masks.reduce(0) { $0 + $1.prunedCount } == Int((sparsity * Double(total)).rounded(.down)))
      let concatenated = try concatenatedMasks(original, like: p.config)
      #expect(differences(masks.flatMap(keptFlags), concatenated.flatMap { $0 }) == nil)
      for index in original.indices {
        #expect(
          firstWrongValue(pruned[index].values, original: original[index].values,
            pruned: expected[index]) == nil, "tensor \(index)")
      }
    }
  }

  /// Heavy ties across tensors go to the earlier tensor, then the lower index: with every
  /// weight equal, the first k of the concatenation are pruned.
  @Test func tiesGoToTheEarlierTensor() throws {
    let equal = try [5, 3, 4].enumerated().map { index, count in
      try WeightTensor(
        name: "e\(index)", shape: [count], values: Array(repeating: -2, count: count))
    }
    var pruned = equal
    let masks = try globalPruner(0.5).prune(&pruned)
    #expect(masks.map(prunedFlags) == [
      [true, true, true, true, true], [true, false, false], [false, false, false, false],
    ])
    // Few distinct values over large tensors: the reference's order.
    let tied = try model(seed: 7_100, distinct: 3)
    let scores = tied.map { ReferencePruning.elementScores($0.values, metric: .l1) }
    for sparsity in [0.2, 0.5] {
      var again = tied
      let tiedMasks = try globalPruner(sparsity, threads: 3).prune(&again)
      let expected = ReferenceMethods.globalPruned(
        scores: scores, sparsity: sparsity, minNonzero: 1)
      #expect(differences(tiedMasks.flatMap(prunedFlags), expected.flatMap { $0 }) == nil)
    }
  }

  /// The random metric continues one LCG stream across the tensors: element i of tensor t
  /// takes step firstUnit(t) + i + 1, so the masks are those of the concatenation.
  @Test func randomScoresContinueAcrossTensors() throws {
    let original = try model(seed: 7_200)
    let total = original.reduce(0) { $0 + $1.count }
    let stream = ReferencePruning.randomElementScores(seed: 77, count: total)
    var scores = [[Float]]()
    var start = 0
    for t in original {
      scores.append(Array(stream[start ..< start + t.count]))
      start += t.count
    }
    var pruned = original
    let p = try globalPruner(0.6, .random(seed: 77))
    let masks = try p.prune(&pruned)
    let expected = ReferenceMethods.globalPruned(scores: scores, sparsity: 0.6, minNonzero: 1)
    #expect(differences(masks.flatMap(prunedFlags), expected.flatMap { $0 }) == nil)
    let concatenated = try concatenatedMasks(original, like: p.config)
    #expect(differences(masks.flatMap(keptFlags), concatenated.flatMap { $0 }) == nil)
  }

  /// Wanda and Taylor inputs are per tensor: each tensor's scores come from its own input,
  /// then all are ranked together.
  @Test func inputScoresRankTogether() throws {
    var generator = SeededGenerator(seed: 7_300)
    let original = try model(seed: 7_301)
    var norms = [String: ScoreInput]()
    var gradients = [String: ScoreInput]()
    var wandaScores = [[Float]]()
    var taylorScores = [[Float]]()
    for t in original {
      let columns = t.rank == 2 ? t.shape[1] : t.count
      let n = generator.uniformFloats(columns, in: 0 ... 3)
      let g = generator.uniformFloats(t.count, in: -1 ... 1)
      norms[t.name] = .inputNorms(n)
      gradients[t.name] = .gradients(g)
      wandaScores.append(
        ReferenceMethods.wandaScores(weights: t.values, columns: columns, inputNorms: n))
      taylorScores.append(ReferenceMethods.taylorScores(weights: t.values, gradients: g))
    }
    for (metric, inputs, scores) in [
      (ImportanceMetric.wanda, norms, wandaScores), (.taylor, gradients, taylorScores),
    ] {
      var pruned = original
      let masks = try globalPruner(0.45, metric).prune(&pruned, inputs: inputs)
      let expected = ReferenceMethods.globalPruned(
        scores: scores, sparsity: 0.45, minNonzero: 1)
      #expect(
        differences(masks.flatMap(prunedFlags), expected.flatMap { $0 }) == nil, "\(metric)")
    }
  }

  /// minNonzero counts over the union: k = min(floor(s × total), total − minNonzero), even
  /// when minNonzero exceeds one tensor's size; above the total it is an error.
  @Test func minNonzeroCountsOverTheUnion() throws {
    var generator = SeededGenerator(seed: 7_400)
    let original = try [5, 7, 9].enumerated().map { index, count in
      try WeightTensor(
        name: "m\(index)", shape: [count], values: generator.uniformFloats(count))
    }
    let scores = original.map { ReferencePruning.elementScores($0.values, metric: .l1) }
    for minNonzero in [0, 8, 12, 21] {
      var pruned = original
      let masks = try globalPruner(0.9, minNonzero: minNonzero).prune(&pruned)
      #expect(
        masks.map(prunedFlags)
          == ReferenceMethods.globalPruned(scores: scores, sparsity: 0.9, minNonzero: minNonzero))
      #expect(masks.reduce(0) { $0 + $1.prunedCount } == min(18, 21 - minNonzero))
    }
    var unchanged = original
    let error = try #require(throws: PruningError.self) {
      try globalPruner(0.5, minNonzero: 22).prune(&unchanged)
    }
    guard case .minNonzeroExceedsCount(_, 22, 21) = error else {
      Issue.record("wrong error \(error)")
      return
    }
    #expect(unchanged == original)
  }

  /// A cut made from `Float16` bytes at an odd address equals the one made from aligned
  /// bytes, prunes each `Float16` tensor like the widened `Float` model, reports the counts,
  /// and lets go of every tensor's pages through its `release` closure.
  @Test func unalignedHalfPrecisionTensorsGiveTheSameCut() throws {
    var generator = SeededGenerator(seed: 7_500)
    let shapes: [[Int]] = [[40_000], [70_000], [7, 12]]
    let halves = shapes.map { shape in
      generator.uniformFloats(shape.reduce(1, *), in: -3 ... 3).map { Float16($0) }
    }
    let wide = try halves.enumerated().map { index, values in
      try WeightTensor(name: "h\(index)", shape: shapes[index], values: values.map(\.widened))
    }
    let p = try globalPruner(0.55, .l2Magnitude, threads: 3)
    var widePruned = wide
    let wideMasks = try p.prune(&widePruned)
    for offset in [0, 1] {
      let counters = shapes.map { _ in CallCounter() }
      // The bytes of every tensor after `offset` bytes of padding.
      let buffers = halves.map { values in
        [UInt8](repeating: 0xAB, count: offset) + values.withUnsafeBytes { Array($0) }
      }
      let cut = try withRankedTensors(
        buffers, shapes: shapes, offset: offset, counters: counters
      ) { try p.globalCut($0) }
      let total = shapes.reduce(0) { $0 + $1.reduce(1, *) }
      #expect(cut.totalCount == total)
      #expect(cut.prunedCount == Int((0.55 * Double(total)).rounded(.down)))
      for index in halves.indices {
        var values = halves[index]
        let mask = try pruneFollowing(p, &values, shape: shapes[index], name: "h\(index)", cut)
        #expect(mask == wideMasks[index], "offset \(offset) tensor \(index)")
        let wrong = values.indices.filter { element in
          scalarBits(values[element]) != (mask[element] ? scalarBits(halves[index][element]) : 0)
        }
        #expect(wrong.isEmpty, "offset \(offset) tensor \(index): \(wrong.prefix(5))")
      }
      // Every pass of the ranking let go of every tensor.
      #expect(counters.allSatisfy { $0.value >= 1 }, "offset \(offset)")
    }
  }

  /// Views of the bytes in `buffers` from `offset` on as `Float16` ranked tensors, each
  /// counting its releases in `counters`.
  private func withRankedTensors<R>(
    _ buffers: [[UInt8]], shapes: [[Int]], offset: Int, counters: [CallCounter],
    _ body: ([RankedTensor]) throws -> R
  ) throws -> R {
    var ranked = [RankedTensor]()
    func collect(_ index: Int) throws -> R {
      guard index < buffers.count else { return try body(ranked) }
      return try buffers[index].withUnsafeBytes { bytes in
        let counter = counters[index]
        ranked.append(
          try RankedTensor(
            name: "h\(index)", shape: shapes[index],
            bytes: UnsafeRawBufferPointer(rebasing: bytes[offset...]), as: Float16.self,
            release: { counter.increment() }))
        return try collect(index + 1)
      }
    }
    return try collect(0)
  }

  /// One, two and five threads give the same masks and the same bits.
  @Test func threadCountDoesNotMatter() throws {
    let original = try model(seed: 7_600)
    var first: ([PruningMask], [WeightTensor])?
    for threads in [1, 2, 5] {
      var pruned = original
      let masks = try globalPruner(0.4, .l2Magnitude, threads: threads).prune(&pruned)
      if let first {
        #expect(masks == first.0, "threads \(threads)")
        #expect(zip(pruned, first.1).allSatisfy { bitIdentical($0.values, $1.values) })
      } else {
        first = (masks, pruned)
      }
    }
  }

  /// Global scope is for a model or a cut: a single-tensor call, a tensor-scope cut, duplicate
  /// or unknown names, shapes that differ from the ranked one, empty or corrupted tensors and
  /// missing input are errors, and a model is left unchanged.
  @Test func globalErrors() throws {
    let p = try globalPruner(0.5)
    var single = try tensor([1, 2, 3, 4])
    guard case .scopeMismatch(let scope, _)? = catchError({ try p.prune(&single) }) else {
      Issue.record("a single tensor pruned with global scope")
      return
    }
    #expect(scope == "global")
    #expect(single.values == [1, 2, 3, 4])

    let values: [Float] = [1, 2, 3, 4]
    try values.withUnsafeBytes { bytes throws in
      let a = try RankedTensor(name: "a", shape: [2, 2], bytes: bytes, as: Float.self)
      let b = try RankedTensor(name: "b", shape: [4], bytes: bytes, as: Float.self)
      let tensorScope = Pruner(try .unstructuredL1(sparsity: 0.5))
      guard case .scopeMismatch? = catchError({ _ = try tensorScope.globalCut([a]) }) else {
        Issue.record("a tensor-scope pruner made a global cut")
        return
      }
      #expect(throws: PruningError.duplicateTensor(name: "a")) { try p.globalCut([a, b, a]) }
      let cut = try p.globalCut([a, b])
      var copy = values
      #expect(throws: PruningError.unknownTensor(name: "c")) {
        try pruneFollowing(p, &copy, shape: [2, 2], name: "c", cut)
      }
      #expect(throws: PruningError.rankedShapeMismatch(name: "a", ranked: [2, 2], given: [4])) {
        try pruneFollowing(p, &copy, shape: [4], name: "a", cut)
      }
      #expect(throws: PruningError.shapeMismatch(name: "b", shape: [4], valueCount: 3)) {
        var three: [Float] = [1, 2, 3]
        _ = try pruneFollowing(p, &three, shape: [4], name: "b", cut)
      }
      // Ranked as Float, pruned as Float16: the cut's keys are not this tensor's.
      var halves = values.map { Float16($0) }
      #expect(
        throws: PruningError.rankedElementTypeMismatch(name: "a", ranked: "Float", given: "Float16")
      ) {
        try pruneFollowing(p, &halves, shape: [2, 2], name: "a", cut)
      }
      #expect(copy == values)
      #expect(throws: PruningError.shapeMismatch(name: "x", shape: [3], valueCount: 4)) {
        try RankedTensor(name: "x", shape: [3], bytes: bytes, as: Float.self)
      }
    }

    let good = try tensor([1, 2, 3], name: "good")
    let corrupt = try tensor([1, .nan, .infinity, 4], name: "bad")
    var withCorrupt = [good, corrupt]
    #expect(throws: PruningError.nonFiniteWeights(name: "bad", count: 2)) {
      try p.prune(&withCorrupt)
    }
    #expect(bitIdentical(withCorrupt[1].values, corrupt.values))
    var withEmpty = [good, try tensor([], name: "empty")]
    #expect(throws: PruningError.emptyTensor(name: "empty")) { try p.prune(&withEmpty) }
    var wanda = [good]
    #expect(
      throws: PruningError.missingScoreInput(name: "good", metric: "wanda", needs: "input norms")
    ) {
      try globalPruner(0.5, .wanda).prune(&wanda)
    }
  }

  /// A global ranking is a loop over the tensors, not one stack frame per tensor: 100,000
  /// tensors (a mixture-of-experts checkpoint has 18 k to 90 k) prune like their
  /// concatenation. Before, ~8,000 overflowed the stack. (The command-line tests rank
  /// 100,000 tensors' bytes through `RankedTensor` views.)
  @Test func oneHundredThousandTensors() throws {
    var generator = SeededGenerator(seed: 17_001)
    let count = 100_000
    let values = fastTiedFloats(&generator, 4 * count, distinct: 1000)
    var tensors = try (0 ..< count).map { index in
      try WeightTensor(
        name: "t\(index)", shape: [2, 2], values: Array(values[4 * index ..< 4 * index + 4]))
    }
    let p = try globalPruner(0.5)
    let expected = try concatenatedMasks(tensors, like: p.config)
    let masks = try p.prune(&tensors)
    #expect(masks.map(keptFlags) == expected)
    #expect(tensors.indices.allSatisfy { index in
      tensors[index].values.indices.allSatisfy { element in
        tensors[index].values[element] == (masks[index][element] ? values[4 * index + element] : 0)
      }
    })
  }

  /// An empty model prunes nothing under global scope, as under tensor scope, and an empty
  /// ranking cuts nothing.
  @Test func anEmptyModelPrunesNothing() throws {
    var empty = [WeightTensor]()
    #expect(try globalPruner(0.5).prune(&empty).isEmpty)
    #expect(try Pruner(.unstructuredL1(sparsity: 0.5)).prune(&empty).isEmpty)
    let cut = try globalPruner(0.5).globalCut([])
    #expect(cut.totalCount == 0 && cut.prunedCount == 0)
  }

  /// Pruning a tensor with its share of a cut checks its score input as the ranking did: a
  /// Wanda cut followed without norms, or with too few, is an error rather than a read past
  /// the end of the norms.
  @Test func followingACutChecksTheScoreInput() throws {
    let p = try globalPruner(0.5, .wanda)
    var values: [Float] = [1, 2, 3, 4, 5, 6]
    let norms = ScoreInput.inputNorms([1, 2, 3])
    let cut = try values.withUnsafeBytes { bytes in
      try p.globalCut([
        try RankedTensor(name: "w", shape: [2, 3], bytes: bytes, as: Float.self, input: norms)
      ])
    }
    #expect(
      throws: PruningError.missingScoreInput(name: "w", metric: "wanda", needs: "input norms")
    ) {
      try pruneFollowing(p, &values, shape: [2, 3], name: "w", cut)
    }
    #expect(
      throws: PruningError.scoreInputCount(
        name: "w", kind: "input norms", count: 2, expected: 3)
    ) {
      try pruneFollowing(p, &values, shape: [2, 3], name: "w", input: .inputNorms([1, 2]), cut)
    }
    #expect(values == [1, 2, 3, 4, 5, 6])
    let mask = try pruneFollowing(p, &values, shape: [2, 3], name: "w", input: norms, cut)
    // Scores 1, 4, 9, 4, 10, 18: 1, 4 and 4 (the lower index first) go.
    #expect(keptFlags(mask) == [false, false, true, false, true, true])
    #expect(values == [0, 0, 3, 0, 5, 6])
  }
}

/// Prunes `values` in place with their share of `cut`, through the `MutableSpan` entry.
private func pruneFollowing<Scalar: PrunableScalar>(
  _ pruner: Pruner, _ values: inout [Scalar], shape: [Int], name: String,
  input: ScoreInput? = nil, _ cut: GlobalCut
) throws(PruningError) -> PruningMask {
  var span = values.mutableSpan
  return try pruner.prune(&span, shape: shape, name: name, input: input, following: cut)
}

/// The `PruningError` that `body` throws, if any.
private func catchError(_ body: () throws -> Void) -> PruningError? {
  do {
    try body()
    return nil
  } catch let error as PruningError {
    return error
  } catch {
    return nil
  }
}
