// SparseGPT against an independent unblocked Double reference (TestSupport's
// ReferenceSparseGPT): exact counts, the N:M pattern, close weights and output error, the
// same bits for any thread count, the factor, the Hessian, the output error, every error.

import Testing
@testable import Pruning
import TestSupport

/// Calibration inputs [samples, n]: independent features, or correlated ones (a random mix
/// of a few latent factors, plus noise and a few loud features), as real layers see.
private func activations(samples: Int, n: Int, correlated: Bool, seed: UInt64) -> [Float] {
  var random = SeededGenerator(seed: seed)
  guard correlated else { return random.floats(samples * n) }
  let factors = max(2, n / 4)
  let mix = random.floats(factors * n)
  let latent = random.floats(samples * factors)
  var x = random.floats(samples * n).map { $0 * 0.05 }
  for s in 0 ..< samples {
    for f in 0 ..< factors {
      for i in 0 ..< n { x[s * n + i] += latent[s * factors + f] * mix[f * n + i] }
    }
  }
  for i in stride(from: 0, to: n, by: 7) { for s in 0 ..< samples { x[s * n + i] *= 8 } }
  return x
}

@Suite struct SparseGPTTests {
  /// A random layer, its Hessian (library), and the reference's Hessian.
  private func layer(rows: Int, n: Int, correlated: Bool, seed: UInt64)
    throws -> (WeightTensor, [Double])
  {
    var random = SeededGenerator(seed: seed)
    let x = activations(samples: 2 * n, n: n, correlated: correlated, seed: seed &+ 1)
    let h = try CalibrationHessian.hessian(ofActivations: x.span, shape: [2 * n, n], name: "w")
    return (try WeightTensor(name: "w", shape: [rows, n], values: random.floats(rows * n)), h)
  }

  private func prune(
    _ tensor: WeightTensor, _ h: [Double], _ config: SparseGPTConfig, threads: Int = 2
  ) throws -> (WeightTensor, PruningMask) {
    var tensor = tensor
    let sparseGPT = SparseGPT(config, threadCount: threads)
    let factor = try sparseGPT.factor(hessian: h.span, size: tensor.shape[1], name: tensor.name)
    let mask = try sparseGPT.prune(&tensor, factor: factor)
    return (tensor, mask)
  }

  @Test(arguments: [(24, 40, 0.5, 16), (33, 50, 0.3, 128), (7, 64, 0.9, 8), (5, 9, 0.5, 4)])
  func unstructuredPrunesExactlyTheCountAndMatchesTheReference(
    rows: Int, n: Int, sparsity: Double, blockSize: Int
  ) throws {
    for correlated in [false, true] {
      let (tensor, h) = try layer(rows: rows, n: n, correlated: correlated, seed: UInt64(rows * n))
      let config = try SparseGPTConfig(sparsity: sparsity, blockSize: blockSize)
      let (pruned, mask) = try prune(tensor, h, config)
      let k = Int((sparsity * Double(rows * n)).rounded(.down))
      #expect(mask.prunedCount == k)
      #expect(pruned.values.filter { $0 == 0 }.count == k)
      for index in 0 ..< mask.count where !mask[index] { #expect(pruned.values[index] == 0) }
      let reference = ReferenceSparseGPT.prune(
        tensor.values, rows: rows, n: n, hessian: h, selection: .tensor(sparsity: sparsity, total: k),
        blockSize: blockSize, dampening: 0.01)
      let agreeing = (0 ..< mask.count).filter { mask[$0] == reference.kept[$0] }.count
      #expect(Double(agreeing) >= 0.99 * Double(mask.count))
      let original = tensor.values.map(Double.init)
      let ours = ReferenceSparseGPT.relativeOutputError(
        original: original, pruned: pruned.values.map(Double.init), rows: rows, n: n, hessian: h)
      let theirs = ReferenceSparseGPT.relativeOutputError(
        original: original, pruned: reference.weights, rows: rows, n: n, hessian: h)
      #expect(abs(ours - theirs) <= 0.01 * theirs, "\(ours) vs \(theirs)")
    }
  }

  @Test func perRowPrunesTheSameCountInEveryRow() throws {
    let (rows, n) = (12, 40)
    let (tensor, h) = try layer(rows: rows, n: n, correlated: true, seed: 3)
    let config = try SparseGPTConfig(sparsity: 0.5, scope: .perRow, blockSize: 16)
    let (pruned, mask) = try prune(tensor, h, config)
    for row in 0 ..< rows {
      #expect((0 ..< n).filter { !mask[row * n + $0] }.count == 20)
    }
    let reference = ReferenceSparseGPT.prune(
      tensor.values, rows: rows, n: n, hessian: h, selection: .perRow(sparsity: 0.5, total: 20),
      blockSize: 16, dampening: 0.01)
    #expect((0 ..< mask.count).filter { mask[$0] != reference.kept[$0] }.count <= 3)
    for index in 0 ..< mask.count where mask[index] {
      #expect(abs(Double(pruned.values[index]) - reference.weights[index]) < 1e-3)
    }
  }

  @Test(arguments: [(2, 4), (1, 4), (3, 8)])
  func semiStructuredHoldsThePattern(keep: Int, group: Int) throws {
    let (rows, n) = (10, 48)
    let (tensor, h) = try layer(rows: rows, n: n, correlated: true, seed: 5)
    let config = try SparseGPTConfig(
      sparsity: 0, granularity: .semiStructured(keep: keep, of: group), blockSize: 16)
    let (pruned, mask) = try prune(tensor, h, config)
    #expect(mask.prunedCount == rows * n / group * (group - keep))
    let satisfied = SemiStructuredPattern.isSatisfied(
      by: pruned.values.span, columns: n, keep: keep, of: group)
    #expect(satisfied)
    let reference = ReferenceSparseGPT.prune(
      tensor.values, rows: rows, n: n, hessian: h, selection: .pattern(keep: keep, group: group),
      blockSize: 16, dampening: 0.01)
    #expect((0 ..< mask.count).filter { mask[$0] != reference.kept[$0] }.count <= 3)
  }

  @Test func theSameBitsForAnyThreadCount() throws {
    let (tensor, h) = try layer(rows: 600, n: 48, correlated: true, seed: 9)
    for config in [
      try SparseGPTConfig(sparsity: 0.5, blockSize: 16),
      try SparseGPTConfig(sparsity: 0, granularity: .semiStructured(keep: 2, of: 4), blockSize: 16),
    ] {
      let (one, _) = try prune(tensor, h, config, threads: 1)
      for threads in [2, 3] {
        let (many, _) = try prune(tensor, h, config, threads: threads)
        #expect(one.values.map(\.bitPattern) == many.values.map(\.bitPattern))
      }
    }
  }

  @Test func deadInputsAreZeroedAndPrunedFirst() throws {
    let n = 12
    var x = activations(samples: 30, n: n, correlated: false, seed: 11)
    for s in 0 ..< 30 { x[s * n + 3] = 0 }
    let h = try CalibrationHessian.hessian(ofActivations: x.span, shape: [30, n], name: "w")
    var random = SeededGenerator(seed: 12)
    let tensor = try WeightTensor(name: "w", shape: [4, n], values: random.floats(4 * n))
    let factor = try HessianFactor(hessian: h.span, size: n, name: "w")
    #expect(factor.deadInputs == [3])
    let (pruned, mask) = try prune(tensor, h, try SparseGPTConfig(sparsity: 0.25))
    for row in 0 ..< 4 {
      #expect(!mask[row * n + 3] && pruned.values[row * n + 3] == 0)
    }
  }

  @Test func theFactorIsTheInverseOfTheReferenceFactor() throws {
    let n = 300
    let x = activations(samples: 400, n: n, correlated: true, seed: 13)
    let h = try CalibrationHessian.hessian(ofActivations: x.span, shape: [400, n], name: "w")
    let brute = ReferenceSparseGPT.hessian(x, samples: 400, n: n)
    #expect(zip(h, brute).allSatisfy { abs($0 - $1) <= 1e-9 * max(1, abs($1)) })
    let factor = try HessianFactor(hessian: h.span, size: n, name: "w", threadCount: 2)
    // R is the inverse of the reference's U, the upper Cholesky factor of the inverse.
    let (u, _) = ReferenceSparseGPT.inverseFactor(h, n: n, dampening: 0.01)
    var worst = 0.0
    for i in 0 ..< n {
      for j in i ..< n {
        let product = (i ... j).reduce(0.0) { $0 + u[i * n + $1] * Double(factor.upper[$1 * n + j]) }
        worst = max(worst, abs(product - (i == j ? 1 : 0)))
      }
    }
    #expect(worst < 1e-4)
    #expect(factor.upper[n] == 0)
    let single = try HessianFactor(hessian: h.span, size: n, name: "w", threadCount: 1)
    #expect(single.upper == factor.upper)
  }

  @Test func outputErrorMatchesTheBruteForce() throws {
    let (rows, n) = (70, 20)
    let (tensor, h) = try layer(rows: rows, n: n, correlated: true, seed: 17)
    let (pruned, _) = try prune(tensor, h, try SparseGPTConfig(sparsity: 0.6))
    let error = try OutputError.relative(
      original: tensor.values.span, pruned: pruned.values.span, shape: [rows, n],
      hessian: h.span, name: "w", threadCount: 3)
    let brute = ReferenceSparseGPT.relativeOutputError(
      original: tensor.values.map(Double.init), pruned: pruned.values.map(Double.init), rows: rows,
      n: n, hessian: h)
    #expect(abs(error - brute) <= 1e-9 * brute)
    let singleHessian = h.map(Float.init)
    let single = try OutputError.relative(
      original: tensor.values.span, pruned: pruned.values.span, shape: [rows, n],
      hessian: singleHessian.span, name: "w")
    #expect(abs(single - brute) <= 1e-4 * brute)
  }

  @Test func sparseGPTMovesTheOutputLessThanWandaAndMagnitude() throws {
    let (rows, n) = (32, 64)
    let x = activations(samples: 256, n: n, correlated: true, seed: 19)
    let h = try CalibrationHessian.hessian(ofActivations: x.span, shape: [256, n], name: "w")
    var random = SeededGenerator(seed: 20)
    let tensor = try WeightTensor(name: "w", shape: [rows, n], values: random.floats(rows * n))
    func error(_ pruned: WeightTensor) throws -> Double {
      try OutputError.relative(
        original: tensor.values.span, pruned: pruned.values.span, shape: [rows, n],
        hessian: h.span, name: "w")
    }
    let (sparse, _) = try prune(tensor, h, try SparseGPTConfig(sparsity: 0.5))
    let norms = try ActivationNorms.columnNorms(of: x.span, shape: [256, n], name: "w")
    let wanda = try Pruner(try PruningConfig(sparsity: 0.5, metric: .wanda, scope: .perRow))
      .pruned(tensor, input: .inputNorms(norms)).tensor
    let magnitude = try Pruner(try .unstructuredL1(sparsity: 0.5)).pruned(tensor).tensor
    #expect(try error(sparse) < error(wanda))
    #expect(try error(wanda) < error(magnitude))
  }

  /// λ is the dampening times the mean of the diagonal, a dead input counted as 1; the dead
  /// inputs are those of a zero diagonal.
  @Test func dampingIsAFractionOfTheMeanDiagonal() throws {
    let hessian: [Double] = [2, 0, 0, 0, 0, 0, 0, 0, 4]
    let factor = try HessianFactor(hessian: hessian.span, size: 3, name: "h", dampening: 0.1)
    #expect(factor.deadInputs == [1])
    #expect(abs(factor.dampingValue - 0.1 * (2 + 1 + 4) / 3) < 1e-15)
  }

  @Test func errorsNameTheTensor() throws {
    let n = 4
    let identity = (0 ..< n * n).map { $0 / n == $0 % n ? 1.0 : 0.0 }
    var nan = identity
    nan[5] = .nan
    #expect(throws: SparseGPTError.nonFiniteHessian(name: "h", count: 1)) {
      try HessianFactor(hessian: nan.span, size: n, name: "h")
    }
    #expect(throws: SparseGPTError.hessianShape(name: "h", shape: [16], expected: [5, 5])) {
      try HessianFactor(hessian: identity.span, size: 5, name: "h")
    }
    var negative = identity
    negative[10] = -1
    #expect(throws: SparseGPTError.hessianNotPositiveSemidefinite(name: "h", column: 2, dampening: 0.01)) {
      try HessianFactor(hessian: negative.span, size: n, name: "h")
    }
    // Shapes whose product a caller could overflow or fake with negative extents are
    // errors, not traps.
    let six: [Float] = [1, 2, 3, 4, 5, 6]
    #expect(throws: SparseGPTError.self) {
      _ = try OutputError.relative(
        original: six.span, pruned: six.span, shape: [-2, -3],
        hessian: [Double](repeating: 0, count: 9).span, name: "h")
    }
    #expect(throws: SparseGPTError.self) {
      _ = try OutputError.relative(
        original: six.span, pruned: six.span, shape: [Int.max, 2], hessian: identity.span,
        name: "h")
    }
    #expect(throws: SparseGPTError.self) {
      _ = try CalibrationHessian.hessian(ofActivations: six.span, shape: [Int.max, 3], name: "h")
    }
    #expect(throws: SparseGPTError.self) {
      try HessianFactor(hessian: identity.span, size: 1 << 33, name: "h")
    }
    let indefinite: [Double] = [1, 2, 2, 1]
    #expect(throws: SparseGPTError.hessianNotPositiveSemidefinite(name: "h", column: 0, dampening: 0.01)) {
      try HessianFactor(hessian: indefinite.span, size: 2, name: "h")
    }
    #expect(throws: SparseGPTError.invalidDampening(-1)) {
      try HessianFactor(hessian: identity.span, size: n, name: "h", dampening: -1)
    }
    let factor = try HessianFactor(hessian: identity.span, size: n, name: "h")
    let sparseGPT = SparseGPT(try SparseGPTConfig(sparsity: 0.5))
    var weights = try WeightTensor(name: "w", shape: [2, n], values: [1, 2, .infinity, 4, 5, 6, 7, 8])
    #expect(throws: SparseGPTError.pruning(.nonFiniteWeights(name: "w", count: 1))) {
      try sparseGPT.prune(&weights, factor: factor)
    }
    #expect(weights.values[0] == 1)
    var wide = try WeightTensor(name: "w", shape: [1, 5], values: [1, 2, 3, 4, 5])
    #expect(throws: SparseGPTError.hessianShape(name: "w", shape: [4, 4], expected: [5, 5])) {
      try sparseGPT.prune(&wide, factor: factor)
    }
    var vector = try WeightTensor(name: "v", shape: [4], values: [1, 2, 3, 4])
    #expect(throws: SparseGPTError.pruning(.notAMatrix(name: "v", shape: [4], granularity: "SparseGPT"))) {
      try sparseGPT.prune(&vector, factor: factor)
    }
    var empty = try WeightTensor(name: "e", shape: [0, 4], values: [])
    #expect(throws: SparseGPTError.pruning(.emptyTensor(name: "e"))) {
      try sparseGPT.prune(&empty, factor: factor)
    }
    var odd = try WeightTensor(name: "o", shape: [1, 4], values: [1, 2, 3, 4])
    let threeOfEight = SparseGPT(
      try SparseGPTConfig(sparsity: 0, granularity: .semiStructured(keep: 3, of: 8), blockSize: 8))
    #expect(throws: SparseGPTError.pruning(.rowNotDivisible(name: "o", columns: 4, group: 8))) {
      try threeOfEight.prune(&odd, factor: factor)
    }
    #expect(throws: SparseGPTError.pruning(.minNonzeroExceedsCount(name: "o", minNonzero: 9, count: 4))) {
      try SparseGPT(try SparseGPTConfig(sparsity: 0.5, minNonzero: 9)).prune(&odd, factor: factor)
    }
    let withNaN: [Float] = [1, .nan]
    let three: [Float] = [1, 2, 3]
    let before: [Float] = [1, 2]
    let after: [Float] = [0, 2]
    let small: [Double] = [1, 0, 0, 1]
    #expect(throws: SparseGPTError.nonFiniteHessian(name: "x", count: 1)) {
      try CalibrationHessian.hessian(ofActivations: withNaN.span, shape: [1, 2], name: "x")
    }
    #expect(throws: SparseGPTError.hessianShape(name: "x", shape: [3], expected: [-1, 3])) {
      try CalibrationHessian.hessian(ofActivations: three.span, shape: [3], name: "x")
    }
    #expect(throws: SparseGPTError.hessianShape(name: "w", shape: [16], expected: [2, 2])) {
      try OutputError.relative(
        original: before.span, pruned: after.span, shape: [1, 2], hessian: identity.span, name: "w")
    }
    #expect(throws: SparseGPTError.pruning(.nonFiniteWeights(name: "w", count: 1))) {
      try OutputError.relative(
        original: withNaN.span, pruned: after.span, shape: [1, 2], hessian: small.span, name: "w")
    }
  }

  @Test func configurationErrors() {
    #expect(throws: SparseGPTError.invalidBlockSize(0)) { try SparseGPTConfig(sparsity: 0.5, blockSize: 0) }
    #expect(throws: SparseGPTError.invalidDampening(.infinity)) {
      try SparseGPTConfig(sparsity: 0.5, dampening: .infinity)
    }
    #expect(throws: SparseGPTError.blockSizeNotMultipleOfGroup(blockSize: 10, group: 4)) {
      try SparseGPTConfig(sparsity: 0, granularity: .semiStructured(keep: 2, of: 4), blockSize: 10)
    }
    #expect(throws: SparseGPTError.unsupported("rows granularity")) {
      try SparseGPTConfig(sparsity: 0.5, granularity: .rows)
    }
    #expect(throws: SparseGPTError.unsupported("the global scope")) {
      try SparseGPTConfig(sparsity: 0.5, scope: .global)
    }
    #expect(throws: SparseGPTError.pruning(.sparsityOutOfRange(1))) { try SparseGPTConfig(sparsity: 1) }
    #expect(throws: SparseGPTError.pruning(.invalidPattern(keep: 4, group: 4))) {
      try SparseGPTConfig(sparsity: 0, granularity: .semiStructured(keep: 4, of: 4))
    }
  }
}
