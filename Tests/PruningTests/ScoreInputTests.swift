// Metrics that need per-tensor data besides the weights: Wanda (|w| · ‖X_j‖ from input
// norms, which `ActivationNorms` computes from calibration inputs), first-order Taylor
// (|w · g| from gradients) and supplied scores. Scores must equal the reference's bit for bit
// (a Float product is the exact product rounded once), masks the sort-based reference's;
// rows and columns are scored by the Double sum of element scores; unfit input is an error.

import Testing
import TestSupport
@testable import Pruning

private let inputShapes: [MatrixShape] = awkwardShapes + [.init(300, 250)]

/// Prunes `values` with `metric` and `input` and checks the mask against pruning the
/// reference's `scores` by sorting, for elements, rows and columns.
private func expectMasksFollowScores(
  _ values: [Float], shape: MatrixShape, metric: ImportanceMetric, input: ScoreInput,
  scores: [Float], sparsities: [Double], sourceLocation: SourceLocation = #_sourceLocation
) throws {
  let t = try tensor(values, shape: shape.dimensions)
  for granularity in PruningGranularity.all {
    let unitScores: [Float]
    switch granularity {
    case .rows: unitScores = summedUnitScores(scores, shape: shape, alongRows: true)
    case .columns: unitScores = summedUnitScores(scores, shape: shape, alongRows: false)
    default: unitScores = scores
    }
    let libraryScores = try Pruner(
      try PruningConfig(sparsity: 0, metric: metric, granularity: granularity)
    ).importanceScores(of: t, input: input)
    #expect(
      differences(libraryScores.values, unitScores) == nil, "\(metric) \(granularity) scores",
      sourceLocation: sourceLocation)
    for sparsity in sparsities {
      let k = ReferencePruning.prunedUnitCount(
        sparsity: sparsity, units: unitScores.count, unitSize: shape.count / unitScores.count,
        minNonzero: 1)
      let expected = ReferencePruning.elementKept(
        unitPruned: ReferencePruning.pruned(unitScores, k: k), granularity: granularity.reference,
        rows: shape.rows, columns: shape.columns)
      let config = try PruningConfig(sparsity: sparsity, metric: metric, granularity: granularity)
      for threads in [1, 3] {
        var pruned = t
        let mask = try Pruner(config, threadCount: threads).prune(&pruned, input: input)
        #expect(
          differences(keptFlags(mask), expected) == nil,
          "\(metric) \(granularity) \(sparsity) threads \(threads)",
          sourceLocation: sourceLocation)
        #expect(
          firstWrongValue(pruned.values, original: values, pruned: expected.map { !$0 }) == nil,
          sourceLocation: sourceLocation)
      }
    }
  }
}

@Suite struct ScoreInputTests {
  // MARK: - Wanda

  /// Wanda's scores are |w_ij| · ‖X_j‖ exactly as the reference computes them (in Double,
  /// rounded once), zero norms included, and its masks prune the lowest of those scores.
  @Test(arguments: inputShapes)
  func wandaFollowsTheReference(_ shape: MatrixShape) throws {
    var generator = SeededGenerator(seed: 6_000 + UInt64(shape.count))
    let values = generator.uniformFloats(shape.count, in: -2 ... 2)
    var norms = generator.uniformFloats(shape.columns, in: 0 ... 5)
    norms[0] = 0
    let scores = ReferenceMethods.wandaScores(
      weights: values, columns: shape.columns, inputNorms: norms)
    try expectMasksFollowScores(
      values, shape: shape, metric: .wanda, input: .inputNorms(norms), scores: scores,
      sparsities: shape.count > 10_000 ? [0.55] : [0.3, 0.8])
  }

  /// A 1-D tensor is one row: one input norm per element.
  @Test func wandaOnAVectorTakesOneNormPerElement() throws {
    var t = try tensor([1, 2, 3, 4])
    try Pruner(try PruningConfig(sparsity: 0.5, metric: .wanda))
      .prune(&t, input: .inputNorms([4, 0.1, 3, 0.5]))
    // Scores 4, 0.2, 9, 2: the second and the fourth go.
    #expect(t.values == [1, 0, 3, 0])
  }

  /// Wanda ranks by the product, not by |w|: a large weight on a silent input goes first.
  @Test func wandaByHand() throws {
    var t = try tensor([5, 1, -4, 2, 0.5, 3], shape: [2, 3])
    try Pruner(try PruningConfig(sparsity: 0.5, metric: .wanda))
      .prune(&t, input: .inputNorms([0.1, 4, 1]))
    // Scores: [0.5, 4, 4, 0.2, 2, 3]: 0.2, 0.5 and 2 go.
    #expect(t.values == [0, 1, -4, 0, 0, 3])
  }

  /// Input norms must be given, one per column, finite and non-negative; other input, or
  /// input for a metric that takes none, is an error. Nothing changes when one is thrown.
  @Test func wandaInputErrors() throws {
    let p = Pruner(try PruningConfig(sparsity: 0.5, metric: .wanda))
    let values: [Float] = (1 ... 12).map { Float($0) }
    var t = try tensor(values, shape: [3, 4], name: "w")
    let cases: [(ScoreInput?, PruningError)] = [
      (nil, .missingScoreInput(name: "w", metric: "wanda", needs: "input norms")),
      (.inputNorms([1, 2, 3]),
        .scoreInputCount(name: "w", kind: "input norms", count: 3, expected: 4)),
      (.inputNorms(Array(repeating: 1, count: 12)),
        .scoreInputCount(name: "w", kind: "input norms", count: 12, expected: 4)),
      (.inputNorms([1, -2, 3, -0.5]),
        .invalidScoreInput(name: "w", kind: "input norms", count: 2, problem: "negative")),
      (.inputNorms([1, .nan, 3, 4]),
        .invalidScoreInput(name: "w", kind: "input norms", count: 1, problem: "NaN or ±Inf")),
      (.inputNorms([.infinity, .nan, 3, 4]),
        .invalidScoreInput(name: "w", kind: "input norms", count: 2, problem: "NaN or ±Inf")),
      (.gradients(Array(repeating: 1, count: 12)),
        .unexpectedScoreInput(name: "w", metric: "wanda", given: "gradients")),
    ]
    for (input, error) in cases {
      #expect(throws: error) { try p.prune(&t, input: input) }
      #expect(throws: error) { try p.importanceScores(of: t, input: input) }
      #expect(t.values == values)
    }
    #expect(
      throws: PruningError.unexpectedScoreInput(name: "w", metric: "l1", given: "input norms")
    ) {
      try Pruner(try .unstructuredL1(sparsity: 0.5)).prune(&t, input: .inputNorms([1, 1, 1, 1]))
    }
    var bad = values
    bad[7] = .nan
    var corrupt = try tensor(bad, shape: [3, 4], name: "w")
    #expect(throws: PruningError.nonFiniteWeights(name: "w", count: 1)) {
      try p.prune(&corrupt, input: .inputNorms([1, 1, 1, 1]))
    }
    #expect(bitIdentical(corrupt.values, bad))
  }

  // MARK: - Activation norms

  /// The column norms of calibration inputs equal the reference's Double norms within a
  /// relative 1e-6 and carry the same bits at 1, 2 and 5 threads; Float16 inputs give the
  /// norms of their widened copy.
  @Test(arguments: [MatrixShape(64, 12), .init(1, 8), .init(300, 7), .init(2_000, 33),
    .init(9, 5_000)])
  func columnNormsFollowTheReference(_ shape: MatrixShape) throws {
    var generator = SeededGenerator(seed: 6_100 + UInt64(shape.count))
    let samples = generator.uniformFloats(shape.count, in: -4 ... 4)
    let reference = ReferenceMethods.columnNorms(
      samples: samples, rows: shape.rows, columns: shape.columns)
    let norms = try ActivationNorms.columnNorms(
      of: samples.span, shape: shape.dimensions, name: "x", threadCount: 1)
    #expect(norms.count == shape.columns)
    let far = norms.indices.filter {
      !close(Double(norms[$0]), Double(reference[$0]), relative: 1e-6)
    }
    #expect(far.isEmpty, "columns \(far.prefix(5)) differ")
    for threads in [2, 5] {
      let again = try ActivationNorms.columnNorms(
        of: samples.span, shape: shape.dimensions, name: "x", threadCount: threads)
      #expect(bitIdentical(again, norms), "threads \(threads)")
    }
    let half = samples.map { Float16($0) }
    let halfNorms = try ActivationNorms.columnNorms(
      of: half.span, shape: shape.dimensions, name: "x", threadCount: 2)
    let widened = half.map(\.widened)
    let wideNorms = try ActivationNorms.columnNorms(
      of: widened.span, shape: shape.dimensions, name: "x", threadCount: 2)
    #expect(bitIdentical(halfNorms, wideNorms))
  }

  /// Norms computed from calibration inputs feed Wanda: pruning with them equals the
  /// reference's Wanda pruning on the reference's scores.
  @Test func columnNormsFeedWanda() throws {
    var generator = SeededGenerator(seed: 6_150)
    let samples = generator.uniformFloats(40 * 12, in: -1 ... 1)
    let norms = try ActivationNorms.columnNorms(of: samples.span, shape: [40, 12], name: "x")
    let values = generator.uniformFloats(7 * 12)
    let scores = ReferenceMethods.wandaScores(weights: values, columns: 12, inputNorms: norms)
    var t = try tensor(values, shape: [7, 12])
    let mask = try Pruner(try PruningConfig(sparsity: 0.5, metric: .wanda))
      .prune(&t, input: .inputNorms(norms))
    #expect(prunedFlags(mask) == ReferencePruning.prunedBySorting(scores, k: 42))
  }

  /// Column norms need a 2-D shape holding the samples and finite samples; no samples give
  /// zero norms.
  @Test func columnNormErrors() throws {
    let samples: [Float] = [1, 2, 3, 4, 5, 6]
    for shape in [[2, 2], [4, 2], [-2, -3]] {
      #expect(throws: PruningError.shapeMismatch(name: "x", shape: shape, valueCount: 6)) {
        try ActivationNorms.columnNorms(of: samples.span, shape: shape, name: "x")
      }
    }
    for shape in [[6], [1, 2, 3]] {
      #expect(throws: PruningError.activationShape(name: "x", shape: shape)) {
        try ActivationNorms.columnNorms(of: samples.span, shape: shape, name: "x")
      }
    }
    let corrupt: [Float] = [1, .nan, 3, -.infinity, 5, 6]
    #expect(
      throws: PruningError.invalidScoreInput(
        name: "x", kind: "calibration inputs", count: 2, problem: "NaN or ±Inf")
    ) {
      try ActivationNorms.columnNorms(of: corrupt.span, shape: [2, 3], name: "x")
    }
    // Finite inputs whose squares sum past Float's range: the norm is what is wrong.
    let large: [Float] = [3e38, 1, 3e38, 3e38, 1, 1]
    #expect(
      throws: PruningError.invalidScoreInput(
        name: "x", kind: "input norms", count: 1,
        problem: "beyond the largest Float (the calibration inputs are too large)")
    ) {
      try ActivationNorms.columnNorms(of: large.span, shape: [2, 3], name: "x")
    }
    let none = [Float]()
    let noNorms = try ActivationNorms.columnNorms(of: none.span, shape: [0, 3], name: "x")
    #expect(noNorms == [0, 0, 0])
    let norms = try ActivationNorms.columnNorms(of: samples.span, shape: [2, 3], name: "x")
    #expect(norms == [17, 29, 45].map { Float(Double($0).squareRoot()) })
  }

  // MARK: - Taylor

  /// Taylor scores are |w · g| exactly as the reference computes them (zero and huge
  /// gradients included), and masks prune the lowest of them, rows and columns by the Double
  /// sum of their element scores.
  @Test(arguments: inputShapes)
  func taylorFollowsTheReference(_ shape: MatrixShape) throws {
    var generator = SeededGenerator(seed: 6_200 + UInt64(shape.count))
    let values = generator.uniformFloats(shape.count, in: -2 ... 2)
    var gradients = generator.uniformFloats(shape.count, in: -1 ... 1).enumerated().map {
      index, g in
      index % 7 == 0 ? 0 : g * Float(sign: .plus, exponent: index % 40 - 20, significand: 1)
    }
    gradients[shape.count - 1] = 1e30
    let scores = ReferenceMethods.taylorScores(weights: values, gradients: gradients)
    try expectMasksFollowScores(
      values, shape: shape, metric: .taylor, input: .gradients(gradients), scores: scores,
      sparsities: shape.count > 10_000 ? [0.45] : [0.3, 0.8])
  }

  /// A Taylor product that overflows to +Inf is no error for finite weights: it ranks above
  /// every finite score and survives.
  @Test func overflowingTaylorScoresRankHighest() throws {
    var t = try tensor([1e30, 1, 2, 3])
    let mask = try Pruner(try PruningConfig(sparsity: 0.75, metric: .taylor))
      .prune(&t, input: .gradients([1e30, 1, 1, 1]))
    #expect(keptFlags(mask) == [true, false, false, false])
    #expect(t.values == [1e30, 0, 0, 0])
  }

  /// The Taylor proxy (no gradients) is scored and pruned exactly as L2 magnitude.
  @Test func taylorProxyEqualsL2() throws {
    var generator = SeededGenerator(seed: 6_300)
    for shape in awkwardShapes {
      let values = generator.uniformFloats(shape.count, in: -3 ... 3)
      let t = try tensor(values, shape: shape.dimensions)
      for granularity in PruningGranularity.all {
        let proxy = try t.importanceScores(metric: .taylorProxy, granularity: granularity)
        let l2 = try t.importanceScores(metric: .l2Magnitude, granularity: granularity)
        #expect(proxy.values == l2.values)
        let proxyPruned = try pruner(
          sparsity: 0.6, metric: .taylorProxy, granularity: granularity
        ).pruned(t)
        let l2Pruned = try pruner(sparsity: 0.6, metric: .l2Magnitude, granularity: granularity)
          .pruned(t)
        #expect(proxyPruned == l2Pruned, "\(shape.testDescription) \(granularity)")
      }
    }
    #expect(ImportanceMetric.taylorProxy.requiredInput == nil)
    #expect(throws: PruningError.unexpectedScoreInput(
      name: "t", metric: "taylor-proxy", given: "gradients")) {
      try Pruner(try PruningConfig(sparsity: 0.5, metric: .taylorProxy))
        .pruned(try tensor([1, 2]), input: .gradients([1, 1]))
    }
  }

  /// Gradients must be given, one per weight, all finite.
  @Test func taylorInputErrors() throws {
    let p = Pruner(try PruningConfig(sparsity: 0.5, metric: .taylor))
    let values: [Float] = [1, 2, 3, 4, 5, 6]
    var t = try tensor(values, shape: [2, 3], name: "g")
    let cases: [(ScoreInput?, PruningError)] = [
      (nil, .missingScoreInput(name: "g", metric: "taylor", needs: "gradients")),
      (.gradients([1, 2, 3]),
        .scoreInputCount(name: "g", kind: "gradients", count: 3, expected: 6)),
      (.gradients([1, 2, .nan, 4, -.infinity, 6]),
        .invalidScoreInput(name: "g", kind: "gradients", count: 2, problem: "NaN or ±Inf")),
      (.scores([1, 2, 3, 4, 5, 6]),
        .unexpectedScoreInput(name: "g", metric: "taylor", given: "scores")),
    ]
    for (input, error) in cases {
      #expect(throws: error) { try p.prune(&t, input: input) }
      #expect(t.values == values)
    }
    // Negative gradients are fine: the score is the magnitude of the product.
    try p.prune(&t, input: .gradients([-1, -1, -1, 1, 1, 1]))
    #expect(t.values == [0, 0, 0, 4, 5, 6])
  }

  // MARK: - Supplied scores

  /// Supplied scores are used as they are — negative ones included, −0 equal to +0 — for
  /// elements, rows and columns (summed in Double).
  @Test(arguments: inputShapes)
  func suppliedScoresAreUsedAsGiven(_ shape: MatrixShape) throws {
    var generator = SeededGenerator(seed: 6_400 + UInt64(shape.count))
    let values = generator.uniformFloats(shape.count)
    var scores = fastTiedFloats(&generator, shape.count, distinct: 9).map { $0 * 0.75 }
    for index in stride(from: 0, to: shape.count, by: 5) where scores[index] == 0 {
      scores[index] = -0.0
    }
    try expectMasksFollowScores(
      values, shape: shape, metric: .supplied, input: .scores(scores), scores: scores,
      sparsities: shape.count > 10_000 ? [0.5] : [0.3, 0.8])
  }

  /// Supplied scores decide N:M groups too, whatever the weights.
  @Test func suppliedScoresDriveNOfM() throws {
    var generator = SeededGenerator(seed: 6_450)
    let values = generator.uniformFloats(7 * 12)
    let scores = generator.uniformFloats(7 * 12, in: -5 ... 5)
    var t = try tensor(values, shape: [7, 12])
    let mask = try Pruner(try .semiStructured(keep: 2, of: 4, metric: .supplied))
      .prune(&t, input: .scores(scores))
    #expect(
      prunedFlags(mask)
        == ReferenceMethods.nOfMPruned(scores: scores, rows: 7, columns: 12, keep: 2, of: 4))
  }

  /// Supplied scores must be finite and one per weight; the weights must still be finite,
  /// though the scores never read them.
  @Test func suppliedInputErrors() throws {
    let p = Pruner(try PruningConfig(sparsity: 0.5, metric: .supplied))
    let values: [Float] = [1, 2, 3, 4]
    var t = try tensor(values, name: "s")
    let cases: [(ScoreInput?, PruningError)] = [
      (nil, .missingScoreInput(name: "s", metric: "supplied", needs: "scores")),
      (.scores([1, 2, 3]), .scoreInputCount(name: "s", kind: "scores", count: 3, expected: 4)),
      (.scores([1, .nan, 3, 4]),
        .invalidScoreInput(name: "s", kind: "scores", count: 1, problem: "NaN or ±Inf")),
      (.scores([1, 2, -.infinity, 4]),
        .invalidScoreInput(name: "s", kind: "scores", count: 1, problem: "NaN or ±Inf")),
    ]
    for (input, error) in cases {
      #expect(throws: error) { try p.prune(&t, input: input) }
      #expect(t.values == values)
    }
    for granularity in PruningGranularity.all {
      let config = try PruningConfig(sparsity: 0.5, metric: .supplied, granularity: granularity)
      var corrupt = try tensor([1, .infinity, 3, .nan], shape: [2, 2], name: "s")
      #expect(throws: PruningError.nonFiniteWeights(name: "s", count: 2), "\(granularity)") {
        try Pruner(config).prune(&corrupt, input: .scores([1, 2, 3, 4]))
      }
    }
  }
}
