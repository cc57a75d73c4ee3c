// Property tests over many seeded random cases — random shapes, values (continuous, few
// distinct, many zeros, wide magnitudes, all equal), sparsities, metrics, granularities and
// minNonzero — each checked against the brute-force reference in TestSupport:
//   • exactly k units are pruned, k = floor(sparsity × units) capped by minNonzero;
//   • every pruned score ≤ every kept score;
//   • the mask is the reference's (stable sort of (score, index), first k pruned);
//   • pruned weights are +0 and kept ones bit-identical, so the mask and the zeros agree;
//   • the threshold of the scores is the k-th lowest score;
//   • one, two and three threads give the same bits.
// A failing case prints its seed and configuration; rerun it with `check(seed:)`.

import Testing
import TestSupport
@testable import Pruning

/// One random pruning problem.
private struct Case: CustomStringConvertible {
  let seed: UInt64
  let values: [Float]
  let shape: [Int]
  let config: PruningConfig

  var description: String {
    "seed \(seed): shape \(shape), \(config.metric) \(config.granularity), sparsity "
      + "\(config.sparsity), minNonzero \(config.minNonzero)"
  }

  init(seed: UInt64, values: [Float], shape: [Int], config: PruningConfig) {
    self.seed = seed
    self.values = values
    self.shape = shape
    self.config = config
  }

  /// A case drawn from `seed`, with at most `maxCount` elements.
  init(seed: UInt64, maxCount: Int, granularity fixed: PruningGranularity? = nil) throws {
    var g = SeededGenerator(seed: seed)
    self.seed = seed
    let granularity = fixed ?? PruningGranularity.all.randomElement(using: &g)!
    // The shape.
    var shape: [Int]
    if granularity == .unstructured && Int.random(in: 0 ..< 4, using: &g) == 0 {
      let rank = Int.random(in: 0 ... 4, using: &g)
      shape = (0 ..< rank).map { _ in Int.random(in: 1 ... 12, using: &g) }
      while shape.reduce(1, *) > maxCount { shape[shape.indices.randomElement(using: &g)!] = 1 }
    } else {
      let total = Int.random(in: 1 ... maxCount, using: &g)
      let rows = [1, Int.random(in: 1 ... 8, using: &g), Int.random(in: 1 ... total, using: &g),
        total, Int(Double(total).squareRoot())].randomElement(using: &g)!
      shape = [max(1, rows), max(1, total / max(1, rows))]
    }
    let count = shape.reduce(1, *)
    // The values.
    let values: [Float]
    switch Int.random(in: 0 ..< 6, using: &g) {
    case 0: values = g.uniformFloats(count)
    case 1: values = g.tiedFloats(count, distinct: Int.random(in: 1 ... 6, using: &g))
    case 2:
      values = g.uniformFloats(count).map { value in
        switch Int.random(in: 0 ..< 10, using: &g) {
        case 0 ..< 3: 0
        case 3: -0.0
        default: value
        }
      }
    case 3:
      values = g.uniformFloats(count).map { value in
        value * Float(sign: .plus, exponent: Int.random(in: -60 ... 60, using: &g), significand: 1)
      }
    case 4:
      let value = Float(Int.random(in: -3 ... 3, using: &g)) / 4
      values = [Float](repeating: value, count: count)
    default: values = g.uniformFloats(count, in: -1e-3 ... 1e3)
    }
    // The configuration.
    let metric: ImportanceMetric = [
      .l1Magnitude, .l2Magnitude, .taylorProxy, .random(seed: g.next()),
    ].randomElement(using: &g)!
    let sparsity = [0, 0.5, 0.999, Double.random(in: 0 ..< 1, using: &g),
      Double.random(in: 0 ..< 1, using: &g)].randomElement(using: &g)!
    let minNonzero = [0, 1, Int.random(in: 0 ... count, using: &g),
      Int.random(in: 0 ... max(0, count / 10), using: &g)].randomElement(using: &g)!
    self.values = values
    self.shape = shape
    self.config = try PruningConfig(
      sparsity: sparsity, metric: metric, granularity: granularity, minNonzero: minNonzero)
  }
}

/// Everything wrong with the library's answer to `c`; empty when it is right.
private func problems(_ c: Case) throws -> [String] {
  var problems: [String] = []
  let count = c.values.count
  let (rows, columns) = c.shape.count == 2 ? (c.shape[0], c.shape[1]) : (1, count)
  let granularity = c.config.granularity
  let units = [count, rows, columns][PruningGranularity.all.firstIndex(of: granularity)!]
  let unitSize = count / units
  let k = ReferencePruning.prunedUnitCount(
    sparsity: c.config.sparsity, units: units, unitSize: unitSize,
    minNonzero: c.config.minNonzero)

  // The unit scores: the reference's own where they are exact (elements, random units); the
  // library's norms, checked against Double, for rows and columns.
  let t = try WeightTensor(name: "case", shape: c.shape, values: c.values)
  let libraryScores = try Pruner(c.config).importanceScores(of: t)
  let scores: [Float]
  switch (granularity, c.config.metric) {
  case (.unstructured, let metric):
    scores = ReferencePruning.elementScores(c.values, metric: metric.reference)
  case (_, .random(let seed)):
    scores = ReferencePruning.randomUnitScores(seed: seed, units: units)
  case (let granularity, let metric):
    scores = libraryScores.values
    let norms = granularity == .rows
      ? ReferencePruning.rowNorms(c.values, rows: rows, columns: columns, metric: metric.reference)
      : ReferencePruning.columnNorms(
        c.values, rows: rows, columns: columns, metric: metric.reference)
    let far = zip(scores, norms).filter { !close(Double($0), $1, relative: 2e-5) }
    if !far.isEmpty { problems.append("\(far.count) norms off, e.g. \(far[0])") }
  }
  if libraryScores.values != scores { problems.append("scores differ from the reference") }
  // The reference decision: sort the (score, index) pairs, prune the first k.
  let order = ReferencePruning.pruningOrder(scores)
  let threshold = k == 0 ? 0 : scores[order[k - 1]]
  if libraryScores.threshold != threshold {
    problems.append("threshold \(libraryScores.threshold), expected \(threshold)")
  }

  var unitPruned = [Bool](repeating: false, count: units)
  for unit in order.prefix(k) { unitPruned[unit] = true }
  let expected = ReferencePruning.elementKept(
    unitPruned: unitPruned, granularity: granularity.reference, rows: rows, columns: columns)

  var first: (mask: PruningMask, values: [Float])?
  for threads in [1, 2, 3] {
    var pruned = t
    let mask = try Pruner(c.config, threadCount: threads).prune(&pruned)
    if let first {
      if mask != first.mask || !bitIdentical(pruned.values, first.values) {
        problems.append("threads \(threads) differ from threads 1")
      }
      continue
    }
    first = (mask, pruned.values)
    if mask.count != count { problems.append("mask of \(mask.count)") }
    if mask.prunedCount != k * unitSize {
      problems.append("\(mask.prunedCount) pruned, expected \(k * unitSize)")
    }
    let kept = keptFlags(mask)
    if kept != expected {
      let index = kept.indices.first { kept[$0] != expected[$0] }!
      problems.append("mask differs from the reference first at element \(index)")
    }
    // Every pruned unit scores at most every kept one.
    let unitOf = { (element: Int) -> Int in
      switch granularity {
      case .unstructured: element
      case .rows: element / columns
      case .columns: element % columns
      case .semiStructured, .blocks: preconditionFailure("not tested here")
      }
    }
    var highestPruned = -Float.infinity
    var lowestKept = Float.infinity
    for element in 0 ..< count {
      let score = scores[unitOf(element)]
      if kept[element] { lowestKept = min(lowestKept, score) } else {
        highestPruned = max(highestPruned, score)
      }
    }
    if highestPruned > lowestKept {
      problems.append("a pruned score \(highestPruned) is above a kept one \(lowestKept)")
    }
    // The mask and the zeros agree.
    for element in 0 ..< count {
      let bits = pruned.values[element].bitPattern
      if kept[element] ? bits != c.values[element].bitPattern : bits != 0 {
        problems.append("element \(element) is \(pruned.values[element]), kept \(kept[element])")
        break
      }
    }
  }
  return problems
}

@Suite struct PropertyTests {
  @Test func threeHundredRandomCases() throws {
    var failures = 0
    for seed in UInt64(1) ... 300 {
      let c = try Case(seed: seed, maxCount: seed % 10 == 0 ? 5000 : 1500)
      let found = try problems(c)
      #expect(found.isEmpty, "\(c): \(found)")
      if !found.isEmpty { failures += 1 }
      if failures > 5 { break }
    }
  }

  @Test(arguments: PruningGranularity.all)
  func randomCasesPerGranularity(granularity: PruningGranularity) throws {
    for seed in UInt64(1_001) ... 1_060 {
      let c = try Case(seed: seed, maxCount: 3000, granularity: granularity)
      let found = try problems(c)
      #expect(found.isEmpty, "\(c): \(found)")
    }
  }

  @Test(arguments: [
    LargeCase(seed: 1, shape: [1_000_000], granularity: .unstructured, metric: .l1Magnitude,
      sparsity: 0.6, values: .continuous),
    LargeCase(seed: 2, shape: [500, 600], granularity: .unstructured, metric: .l2Magnitude,
      sparsity: 0.37, values: .fewDistinct),
    LargeCase(seed: 4, shape: [240_000], granularity: .unstructured, metric: .taylorProxy,
      sparsity: 0.3, values: .fortyPercentZeros),
    LargeCase(seed: 5, shape: [250_000], granularity: .unstructured,
      metric: .random(seed: 99), sparsity: 0.9, values: .continuous),
    LargeCase(seed: 6, shape: [400, 500], granularity: .rows, metric: .l2Magnitude,
      sparsity: 0.45, values: .continuous),
    LargeCase(seed: 7, shape: [500, 400], granularity: .columns, metric: .l1Magnitude,
      sparsity: 0.55, values: .continuous),
    LargeCase(seed: 8, shape: [200_000], granularity: .unstructured, metric: .l2Magnitude,
      sparsity: 0.999_99, values: .continuous),
  ])
  func largeCases(_ large: LargeCase) throws {
    let c = try large.makeCase()
    let found = try problems(c)
    #expect(found.isEmpty, "\(c): \(found)")
  }
}

/// A large case, spelled out.
struct LargeCase: Sendable, CustomTestStringConvertible {
  enum Values: Sendable { case continuous, fewDistinct, fortyPercentZeros }
  let seed: UInt64
  let shape: [Int]
  let granularity: PruningGranularity
  let metric: ImportanceMetric
  let sparsity: Double
  let values: Values

  var testDescription: String { "\(shape) \(granularity) \(metric) \(sparsity) \(values)" }

  fileprivate func makeCase() throws -> Case {
    var g = SeededGenerator(seed: seed)
    let count = shape.reduce(1, *)
    let values: [Float]
    switch self.values {
    case .continuous: values = g.uniformFloats(count)
    case .fewDistinct: values = fastTiedFloats(&g, count, distinct: 4)
    case .fortyPercentZeros:
      values = g.uniformFloats(count).enumerated().map { index, value in index % 5 < 2 ? 0 : value }
    }
    return Case(
      seed: seed, values: values, shape: shape,
      config: try PruningConfig(
        sparsity: sparsity, metric: metric, granularity: granularity, minNonzero: 1))
  }
}
