// The fused N:M pass (`SemiStructuredSelection`, C kernel `bonsai_select_nm`) for M = 2, 4
// and 8 with L1, L2 and Wanda scores over Float, Float16 and bfloat16 weights: against a
// brute-force reference that sorts each group by (score, index), against the generic grouped
// selection forced on the same weights, and its AVX2 kernel against the portable one. Inputs
// are built to break a ranking — ties, ±0, denormals, w² and |w|·norm beyond Float's range —
// on widths that are not a multiple of the vector, tensors that span several chunks, 1, 2
// and 3 threads, dry runs, and non-finite weights.

import CPruningKernels
import Testing
import TestSupport
@testable import Pruning

/// Weights chosen to break a ranking, each kind drawn from a seeded generator.
enum AdversarialWeights: String, CaseIterable, Sendable {
  /// Uniform in ±2: almost no ties.
  case uniform
  /// −2 … 2 in whole numbers: ties in most groups, equal magnitudes of opposite signs.
  case smallIntegers
  /// +0, −0 and a few equal magnitudes.
  case signedZeros
  /// Every weight −0.75: each group prunes its first M − N.
  case allEqual
  /// Float subnormals (whose squares underflow to 0), Float16 subnormals, ±0 and normals.
  case denormals
  /// Finite weights whose squares (and Wanda products) overflow to +Inf, so tie there.
  case overflowingSquares

  /// `count` weights of this kind.
  func values(_ count: Int, seed: UInt64) -> [Float] {
    var generator = SeededGenerator(seed: seed)
    let choices: [Float]
    switch self {
    case .uniform: return generator.uniformFloats(count, in: -2 ... 2)
    case .smallIntegers: return fastTiedFloats(&generator, count, distinct: 5)
    case .allEqual: return [Float](repeating: -0.75, count: count)
    case .signedZeros: choices = [0, -0, 0.5, -0.5, 1]
    case .denormals:
      choices = [
        .leastNonzeroMagnitude, -.leastNonzeroMagnitude, Float(bitPattern: 0x0001_1234),
        -Float(bitPattern: 0x0020_0F00), 1e-6, -2e-7, 0, -0,
        .leastNormalMagnitude, 1,
      ]
    case .overflowingSquares: choices = [1e20, -1e20, 3e19, -2e19, 60_000, -65_504, 1, 0]
    }
    return (0 ..< count).map { _ in choices[Int.random(in: 0 ..< choices.count, using: &generator)] }
  }
}

/// The scores the library ranks by, in Float as it computes them: |w|, w², |w|·norm.
private func referenceScores(
  _ weights: [Float], metric: ImportanceMetric, norms: [Float], columns: Int
) -> [Float] {
  weights.indices.map { index in
    let weight = weights[index]
    switch metric {
    case .l2Magnitude: return weight * weight
    case .wanda: return abs(weight) * norms[index % columns]
    default: return abs(weight)
    }
  }
}

/// Brute force: each group of `group` scores sorted by (score, index), its first
/// `group − keep` pruned.
private func bruteForcePruned(scores: [Float], group: Int, keep: Int) -> [Bool] {
  var pruned = [Bool](repeating: false, count: scores.count)
  for start in stride(from: 0, to: scores.count, by: group) {
    let ranked = (start ..< start + group).sorted { a, b in
      (Double(scores[a]), a) < (Double(scores[b]), b)
    }
    for index in ranked.prefix(group - keep) { pruned[index] = true }
  }
  return pruned
}

/// Input norms with zeros of both signs, ties, a subnormal and one large enough that
/// |w|·norm overflows.
private func adversarialNorms(_ columns: Int, seed: UInt64) -> [Float] {
  var generator = SeededGenerator(seed: seed)
  let choices: [Float] = [0, -0, 1, 1, 0.5, 2, 1e30, Float(bitPattern: 0x0020_0000), 0.3]
  return (0 ..< columns).map { _ in choices[Int.random(in: 0 ..< choices.count, using: &generator)] }
}

/// `values` stored as `Scalar`, clamped to Float16's finite range where that is the type.
private func narrowed<Scalar: PrunableScalar>(_ values: [Float], to _: Scalar.Type) -> [Scalar] {
  values.map { value in
    if Scalar.self == Float16.self {
      return Float16(max(-65_504, min(65_504, value))) as! Scalar
    }
    if Scalar.self == BFloat16.self { return BFloat16(value) as! Scalar }
    return value as! Scalar
  }
}

private let fusedCases: [PatternCase] = [
  .init(2, 4, 5, 12), .init(1, 4, 3, 20), .init(3, 4, 16, 4), .init(2, 4, 9, 8),
  .init(4, 8, 3, 24), .init(3, 8, 7, 40), .init(1, 8, 2, 8), .init(7, 8, 5, 16),
  .init(1, 2, 5, 6), .init(1, 2, 3, 2),
  // Several chunks of the pass: one long row, and rows whose chunks start mid-row.
  .init(2, 4, 1, 70_004), .init(4, 8, 2_917, 24),
]

private let fusedMetrics: [ImportanceMetric] = [.l1Magnitude, .l2Magnitude, .wanda]

@Suite struct FusedSemiStructuredTests {
  /// Every pattern, metric, weight kind and scalar type: the brute-force mask, the generic
  /// path's mask, the dry run's mask and the zeros all agree, at 1, 2 and 3 threads.
  @Test(arguments: fusedCases)
  func fusedPathFollowsTheBruteForceReference(_ c: PatternCase) throws {
    let large = c.shape.count > 10_000
    for (index, kind) in AdversarialWeights.allCases.enumerated()
    where !large || [.uniform, .smallIntegers, .overflowingSquares].contains(kind) {
      let seed = UInt64(c.shape.count * 10 + index)
      let floats = kind.values(c.shape.count, seed: seed)
      let norms = adversarialNorms(c.shape.columns, seed: seed)
      for metric in fusedMetrics {
        try expectFused(c, narrowed(floats, to: Float.self), metric, norms, "\(kind)")
        try expectFused(c, narrowed(floats, to: Float16.self), metric, norms, "\(kind)")
        try expectFused(c, narrowed(floats, to: BFloat16.self), metric, norms, "\(kind)")
      }
    }
  }

  private func expectFused<Scalar: PrunableScalar>(
    _ c: PatternCase, _ weights: [Scalar], _ metric: ImportanceMetric, _ norms: [Float],
    _ kind: String, sourceLocation: SourceLocation = #_sourceLocation
  ) throws {
    let label = "\(c.testDescription) \(metric) \(Scalar.self) \(kind)"
    let (shape, columns) = (c.shape.dimensions, c.shape.columns)
    let input: ScoreInput? = if case .wanda = metric { .inputNorms(norms) } else { nil }
    let scoring = ElementScoring(metric, input: input, columns: columns)
    // The pass under test is the one these weights take.
    #expect(
      SemiStructuredSelection(
        groupSize: c.group, kept: c.keep, scoring: scoring, columns: columns,
        scalar: Scalar.self) != nil, "\(label)", sourceLocation: sourceLocation)
    let expected = bruteForcePruned(
      scores: referenceScores(weights.map(\.widened), metric: metric, norms: norms, columns: columns),
      group: c.group, keep: c.keep)
    let generic = weights.withUnsafeBufferPointer { values in
      GroupedSelection.mask(
        of: ElementScoreKeys(values: values, scoring: scoring, zerosFirst: false),
        rows: c.shape.rows, columns: columns, groupSize: c.group, countingZeros: false,
        threads: 1
      ) { _ in c.group - c.keep }
    }
    #expect(
      differences(prunedFlags(generic), expected) == nil, "generic \(label)",
      sourceLocation: sourceLocation)
    let config = try PruningConfig.semiStructured(keep: c.keep, of: c.group, metric: metric)
    for threads in [1, 2, 3] {
      let pruner = Pruner(config, threadCount: threads)
      let dryRun = try pruner.mask(of: weights.span, shape: shape, name: "w", input: input)
      var pruned = weights
      var span = pruned.mutableSpan
      let mask = try pruner.prune(&span, shape: shape, name: "w", input: input)
      #expect(
        differences(prunedFlags(mask), expected) == nil, "\(label) threads \(threads)",
        sourceLocation: sourceLocation)
      #expect(dryRun == mask, "dry run \(label) threads \(threads)", sourceLocation: sourceLocation)
      // Pruned weights are +0, kept ones keep their bits: the mask says what was zeroed.
      let wrong = weights.indices.filter { index in
        scalarBits(pruned[index]) != (mask[index] ? scalarBits(weights[index]) : 0)
      }
      #expect(
        wrong.isEmpty, "\(label) threads \(threads): wrong bits at \(wrong.prefix(5))",
        sourceLocation: sourceLocation)
    }
  }

  /// The AVX2 kernel and the portable one write the same words and the same zeros, for every
  /// group, score and format, on counts around the vector and word sizes and a first column
  /// inside the row; without zeroing neither writes the weights. Every word the weights cover
  /// is written (bits past the count clear), no other.
  @Test(arguments: [2, 4, 8, 12, 56, 64, 68, 120, 1_000])
  func vectorKernelMatchesThePortableOne(count: Int) {
    let scores = [BONSAI_NM_ABS, BONSAI_NM_SQUARE, BONSAI_NM_ABS_TIMES_NORM]
    for group in [2, 4, 8] where count % group == 0 {
      let columns = 3 * group
      let norms = adversarialNorms(columns, seed: UInt64(count))
      for (index, kind) in AdversarialWeights.allCases.enumerated() {
        let floats = kind.values(count, seed: UInt64(count * 7 + index))
        for score in scores {
          for keep in 0 ... group {
            let label = "count \(count) \(keep):\(group) \(kind) score \(score.rawValue)"
            expectKernelsAgree(
              floats.map(\.bitPattern), BONSAI_ELEMENT_F32, score, group, keep, norms, label)
            expectKernelsAgree(
              narrowed(floats, to: Float16.self).map(\.bitPattern), BONSAI_ELEMENT_F16, score,
              group, keep, norms, label)
            expectKernelsAgree(
              narrowed(floats, to: BFloat16.self).map(\.bitPattern), BONSAI_ELEMENT_BF16, score,
              group, keep, norms, label)
          }
        }
      }
    }
  }

  private func expectKernelsAgree<Bits: FixedWidthInteger>(
    _ weights: [Bits], _ format: bonsai_element_format, _ score: bonsai_nm_score, _ group: Int,
    _ keep: Int, _ norms: [Float], _ label: String
  ) {
    let count = weights.count
    let firstColumn = group
    let sentinel: UInt64 = 0xDEAD_BEEF_DEAD_BEEF
    norms.withUnsafeBufferPointer { norms in
      var pattern = bonsai_nm_pattern(
        format: format, score: score, group: group, pruned: group - keep,
        norms: score == BONSAI_NM_ABS_TIMES_NORM ? norms.baseAddress : nil, columns: norms.count)
      var results: [([Bits], [UInt64])] = []
      for (kernel, zeroing) in [(bonsai_select_nm, 1), (bonsai_select_nm_portable, 1),
                                (bonsai_select_nm, 0), (bonsai_select_nm_portable, 0)] {
        var values = weights
        var words = [UInt64](repeating: sentinel, count: (count + 63) / 64 + 1)
        values.withUnsafeMutableBytes { values in
          kernel(values.baseAddress, count, &pattern, firstColumn, Int32(zeroing), &words)
        }
        #expect(words.last == sentinel, "\(label): wrote past its words")
        let tail = count % 64
        #expect(
          tail == 0 || words[count / 64] >> UInt64(tail) == 0, "\(label): bits past the count")
        if zeroing == 0 { #expect(values == weights, "\(label): a dry run wrote the weights") }
        results.append((values, words))
      }
      #expect(results[0].0 == results[1].0, "\(label): zeros differ")
      #expect(results.allSatisfy { $0.1 == results[0].1 }, "\(label): kept bits differ")
      // Pruned weights are +0 and kept ones unchanged, as the bits say.
      let (values, words) = results[0]
      let wrong = weights.indices.filter { index in
        let kept = words[index / 64] >> UInt64(index % 64) & 1 == 1
        return values[index] != (kept ? weights[index] : 0)
      }
      #expect(wrong.isEmpty, "\(label): wrong weights at \(wrong.prefix(5))")
      let prunedCount = count - words.dropLast().reduce(0) { $0 + $1.nonzeroBitCount }
      #expect(prunedCount == count / group * (group - keep), "\(label): pruned count")
    }
  }

  /// A NaN or ±Inf weight anywhere — in a later chunk, or last — is an error naming the
  /// tensor, for pruning and for a dry run, and the weights are left exactly as they were.
  @Test func nonFiniteWeightsThrowAndLeaveTheWeightsUnchanged() throws {
    let shape = [2_917, 24]
    let floats = AdversarialWeights.uniform.values(shape[0] * shape[1], seed: 77)
    for (bad, position) in [(Float.nan, 5), (-.nan, 70_000), (.infinity, floats.count - 1),
                            (-.infinity, 70_001)] {
      var corrupted = floats
      corrupted[position] = bad
      try expectNonFiniteError(narrowed(corrupted, to: Float.self), shape)
      try expectNonFiniteError(corrupted.map { Float16($0) }, shape)
      try expectNonFiniteError(narrowed(corrupted, to: BFloat16.self), shape)
    }
  }

  private func expectNonFiniteError<Scalar: PrunableScalar>(_ weights: [Scalar], _ shape: [Int])
    throws
  {
    let name = "model.layers.3.mlp.up_proj.weight"
    let error = PruningError.nonFiniteWeights(name: name, count: 1)
    for metric in fusedMetrics {
      let input: ScoreInput? =
        if case .wanda = metric { .inputNorms([Float](repeating: 1, count: shape[1])) } else {
          nil
        }
      for pattern in [(2, 4), (4, 8), (1, 2)] {
        let config = try PruningConfig.semiStructured(keep: pattern.0, of: pattern.1, metric: metric)
        let pruner = Pruner(config, threadCount: 2)
        var pruned = weights
        var span = pruned.mutableSpan
        #expect(throws: error, "\(Scalar.self) \(metric) \(pattern)") {
          try pruner.prune(&span, shape: shape, name: name, input: input)
        }
        #expect(
          pruned.map(scalarBits) == weights.map(scalarBits),
          "\(Scalar.self) \(metric) \(pattern): weights changed")
        #expect(throws: error) {
          try pruner.mask(of: weights.span, shape: shape, name: name, input: input)
        }
      }
    }
  }

  /// Weights whose w² or |w|·norm overflows Float are finite: pruned, not an error, and
  /// their +Inf scores rank above every finite score, the lower index first among them.
  @Test func overflowingScoresAreNotAnError() throws {
    var values: [Float] = [1e20, -3e19, 5, 1e20, 2e19, 1, -1e20, 0]
    let mask = try pruneSpan(
      Pruner(try .semiStructured(keep: 2, of: 4, metric: .l2Magnitude)), &values, shape: [1, 8])
    #expect(keptFlags(mask) == [false, true, false, true, true, false, true, false])
    #expect(values == [0, -3e19, 0, 1e20, 2e19, 0, -1e20, 0])
  }
}
