// What pruning does: how many units go (k = floor(sparsity × units), capped by minNonzero),
// which ones (lowest scores, ties to the lower index), and what they become (exactly +0).

import Testing
import TestSupport
@testable import Pruning

@Suite struct PrunerTests {
  // MARK: - The reference's own examples

  @Test func thirtyPercentOfOneToTenZeroesOneTwoThree() throws {
    var t = try tensor((1 ... 10).map(Float.init), name: "example")
    let mask = try Pruner(try .unstructuredL1(sparsity: 0.3)).prune(&t)
    #expect(t.values == [0, 0, 0, 4, 5, 6, 7, 8, 9, 10])
    #expect(keptFlags(mask) == [false, false, false] + Array(repeating: true, count: 7))
    #expect(mask.prunedCount == 3)
  }

  @Test func documentedPrunerExample() throws {
    var t = try WeightTensor(name: "fc", shape: [2, 2], values: [0.1, -2, 0.3, 4])
    let mask = try Pruner(try .unstructuredL1(sparsity: 0.5)).prune(&t)
    #expect(t.values == [0, -2, 0, 4])
    #expect(keptFlags(mask) == [false, true, false, true])
  }

  /// The second Swift example of docs/library.md, its placeholders filled in, does what it says.
  @Test func readmeMethodsExample() throws {
    var generator = SeededGenerator(seed: 17)
    var layer2x8 = try WeightTensor(name: "l", shape: [2, 8], values: generator.floats(16))
    try Pruner(.semiStructured(keep: 2, of: 4)).prune(&layer2x8)
    let satisfied = SemiStructuredPattern.isSatisfied(
      by: layer2x8.values.span, columns: 8, keep: 2, of: 4)
    #expect(satisfied)
    #expect(layer2x8.values.filter { $0 == 0 }.count == 8)

    let calibration = generator.floats(128 * 512)
    let norms = try ActivationNorms.columnNorms(of: calibration.span, shape: [128, 512], name: "x")
    var upProj = try WeightTensor(name: "up", shape: [4, 512], values: generator.floats(2048))
    let wanda = Pruner(try PruningConfig(sparsity: 0.5, metric: .wanda, scope: .perRow))
    try wanda.prune(&upProj, input: .inputNorms(norms))
    for row in 0 ..< 4 {
      #expect(upProj.values[row * 512 ..< (row + 1) * 512].filter { $0 == 0 }.count == 256)
    }

    var model = [layer2x8, upProj]
    try Pruner(try PruningConfig(sparsity: 0.5, scope: .global)).prune(&model)
    #expect(model.reduce(0) { $0 + $1.values.filter { $0 == 0 }.count } == 1032)

    let schedule = try GradualSchedule(initial: 0, final: 0.8, startStep: 0, endStep: 1000)
    let config = try PruningConfig(sparsity: schedule.sparsity(atStep: 500), iterative: .total)
    #expect(config.sparsity == 0.8 - 0.8 * 0.125)
  }

  @Test func magnitudeNotSignDecides() throws {
    var t = try tensor([-5, 1, -0.25, 3, -2, 0.5])
    try pruner(sparsity: 0.5).prune(&t)
    #expect(t.values == [-5, 0, 0, 3, -2, 0])
  }

  // MARK: - How many

  @Test(arguments: [
    // (sparsity, units, minNonzero, k)
    (0.0, 10, 1, 0), (0.05, 10, 1, 0), (0.1, 10, 1, 1), (0.3, 10, 1, 3), (0.5, 10, 1, 5),
    (0.55, 10, 1, 5), (0.99, 10, 1, 9), (0.99, 10, 0, 9), (0.5, 1, 1, 0), (0.5, 1, 0, 0),
    (0.99, 2, 0, 1), (0.9, 10, 3, 7), (0.9, 10, 10, 0), (0.999, 1000, 5, 995),
    (0.999, 1000, 0, 999), (0.25, 7, 1, 1), (0.75, 4, 1, 3), (0.75, 4, 2, 2),
    // The product is taken in Double, as scripts/interop.py's numpy reference takes it:
    // 0.29 × 100 is 28.999999999999996 there, so k is 28.
    (0.29, 100, 0, 28), (0.57, 100, 0, 56), (0.58, 100, 0, 57),
  ])
  func unstructuredPrunesFloorOfSparsityTimesCountCappedByMinNonzero(
    sparsity: Double, units: Int, minNonzero: Int, k: Int
  ) throws {
    #expect(
      ReferencePruning.prunedUnitCount(
        sparsity: sparsity, units: units, unitSize: 1, minNonzero: minNonzero) == k)
    let config = try PruningConfig(sparsity: sparsity, minNonzero: minNonzero)
    #expect(config.prunedUnitCount(units: units, unitSize: 1) == k)
    let values = (1 ... units).map { Float($0) * (($0 & 1) == 0 ? -1 : 1) }
    var t = try tensor(values)
    let mask = try Pruner(config).prune(&t)
    #expect(mask.prunedCount == k)
    #expect(t.values.filter { $0 == 0 }.count == k)
    // The lowest magnitudes are the first k.
    #expect(keptFlags(mask) == (0 ..< units).map { $0 >= k })
  }

  @Test(arguments: [
    // (sparsity, minNonzero, k rows of a 10 × 4 matrix)
    (0.95, 1, 9), (0.95, 0, 9), (0.95, 4, 9), (0.95, 5, 8), (0.95, 8, 8), (0.95, 9, 7),
    (0.95, 40, 0), (0.95, 37, 0), (0.95, 36, 1), (0.5, 24, 4), (0.5, 20, 5), (0.3, 30, 2),
  ])
  func structuredKeepsCeilOfMinNonzeroOverUnitSizeUnits(
    sparsity: Double, minNonzero: Int, k: Int
  ) throws {
    #expect(
      ReferencePruning.prunedUnitCount(
        sparsity: sparsity, units: 10, unitSize: 4, minNonzero: minNonzero) == k)
    // Rows of a 10 × 4 matrix and columns of a 4 × 10 one: 10 units of 4 elements each;
    // unit u has norm growing with u.
    let rowMajor = (0 ..< 40).map { Float($0 / 4 + 1) }
    let columnMajor = (0 ..< 40).map { Float($0 % 10 + 1) }
    for (granularity, values, shape) in [
      (PruningGranularity.rows, rowMajor, [10, 4]), (.columns, columnMajor, [4, 10]),
    ] {
      for metric in [ImportanceMetric.l1Magnitude, .l2Magnitude] {
        var t = try tensor(values, shape: shape)
        let p = try pruner(
          sparsity: sparsity, metric: metric, granularity: granularity, minNonzero: minNonzero)
        let mask = try p.prune(&t)
        #expect(mask.prunedCount == 4 * k, "\(granularity) \(metric)")
        #expect(mask.keptCount >= minNonzero)
        let prunedUnits = (0 ..< 10).filter { unit in
          granularity == .rows ? !mask[unit * 4] : !mask[unit]
        }
        #expect(prunedUnits == Array(0 ..< k))
        #expect(t.values.filter { $0 == 0 }.count == 4 * k)
      }
    }
  }

  @Test func minNonzeroCapIsAppliedPerTensorOfAModel() throws {
    var model = [
      try tensor([1, 2, 3, 4], name: "a"),
      try tensor([1, 2, 3, 4, 5, 6, 7, 8], name: "b"),
    ]
    let masks = try pruner(sparsity: 0.9, minNonzero: 3).prune(&model)
    #expect(masks.map(\.keptCount) == [3, 3])
    #expect(model[0].values == [0, 2, 3, 4])
    #expect(model[1].values == [0, 0, 0, 0, 0, 6, 7, 8])
  }

  // MARK: - What the pruned weights become

  @Test func prunedWeightsBecomePositiveZeroAndKeptOnesKeepTheirBits() throws {
    let values: [Float] = [-0.5, -0.0, 0.0, -3, 0x1p-133, -0x1p-133, 7, -Float.leastNormalMagnitude]
    for metric in allMetrics {
      var t = try tensor(values, shape: [2, 4])
      let mask = try pruner(sparsity: 0.5, metric: metric, minNonzero: 0).prune(&t)
      #expect(mask.prunedCount == 4)
      for index in values.indices {
        if mask[index] {
          #expect(t.values[index].bitPattern == values[index].bitPattern)
        } else {
          #expect(t.values[index].bitPattern == 0, "element \(index) is \(t.values[index])")
        }
      }
    }
  }

  @Test func structuredPrunedWeightsBecomePositiveZero() throws {
    let values: [Float] = [-1, -2, -3, 4, 5, 6, -0.5, -0.25, -0.125]
    var rows = try tensor(values, shape: [3, 3])
    try pruner(sparsity: 0.4, granularity: .rows).prune(&rows)
    #expect(bitIdentical(rows.values, [-1, -2, -3, 4, 5, 6, 0, 0, 0]))
    var columns = try tensor(values, shape: [3, 3])
    try pruner(sparsity: 0.4, granularity: .columns).prune(&columns)
    // Column sums of |w|: 5.5, 7.25, 9.125: column 0 goes.
    #expect(bitIdentical(columns.values, [0, -2, -3, 0, 5, 6, 0, -0.25, -0.125]))
  }

  @Test func alreadyZeroWeightsArePrunedFirstButOnlyKCount() throws {
    // Four zeros, k = 3: the mask prunes exactly the first three; the fourth zero is "kept".
    var t = try tensor([0, 5, 0, -0.0, 1, 0, 2, 3])
    let mask = try pruner(sparsity: 0.375).prune(&t)
    #expect(mask.prunedCount == 3)
    #expect(keptFlags(mask) == [false, true, false, false, true, true, true, true])
    #expect(t.values[5] == 0)
  }

  @Test func sparsityZeroPrunesNothing() throws {
    let values: [Float] = [3, -0.0, 1, 2]
    for granularity in PruningGranularity.all {
      var t = try tensor(values, shape: [2, 2])
      let mask = try pruner(sparsity: 0, granularity: granularity, minNonzero: 0).prune(&t)
      #expect(mask.keptCount == 4)
      #expect(t.values.map(\.bitPattern) == values.map(\.bitPattern))
    }
  }

  // MARK: - Which

  @Test func equalScoresPruneTheLowerIndexFirst() throws {
    var t = try tensor([2, 1, -1, 1, 2, -1, 1])
    let mask = try pruner(sparsity: 0.5).prune(&t)
    // k = 3 of the four ±1: indices 1, 2, 3.
    #expect(keptFlags(mask) == [true, false, false, false, true, true, true])
  }

  @Test func negativeAndPositiveZeroTie() throws {
    var t = try tensor([0, -0.0, 0, -0.0, 1])
    let mask = try pruner(sparsity: 0.4).prune(&t)
    #expect(keptFlags(mask) == [false, false, true, true, true])
    #expect(t.values[3].bitPattern == (-0.0 as Float).bitPattern)
  }

  @Test func l2RowsAndL1RowsDisagreeAndTaylorFollowsL2() throws {
    // Row 0: L1 = 3, L2 = 3. Row 1: L1 = 4, L2 = 2.
    let values: [Float] = [3, 0, 0, 0, 1, -1, 1, -1]
    func prunedRow(_ metric: ImportanceMetric) throws -> Int {
      var t = try tensor(values, shape: [2, 4])
      let mask = try pruner(sparsity: 0.5, metric: metric, granularity: .rows).prune(&t)
      return mask[0] ? 1 : 0
    }
    #expect(try prunedRow(.l1Magnitude) == 0)
    #expect(try prunedRow(.l2Magnitude) == 1)
    #expect(try prunedRow(.taylorProxy) == 1)
  }

  @Test func l2ElementScoreIsTheFloatSquare() throws {
    // 2e-30 and 1e-30 both square to 0 in Float: an L2 tie, so the lower index goes first
    // although its magnitude is larger; L1 tells them apart.
    let values: [Float] = [2e-30, 1e-30, 1, 1]
    var l2 = try tensor(values)
    #expect(keptFlags(try pruner(sparsity: 0.25, metric: .l2Magnitude).prune(&l2))
      == [false, true, true, true])
    var taylor = try tensor(values)
    #expect(keptFlags(try pruner(sparsity: 0.25, metric: .taylorProxy).prune(&taylor))
      == [false, true, true, true])
    var l1 = try tensor(values)
    #expect(keptFlags(try pruner(sparsity: 0.25, metric: .l1Magnitude).prune(&l1))
      == [true, false, true, true])
  }

  // MARK: - Entry points

  @Test func modelPruningPrunesEachTensorAndReturnsMasksInOrder() throws {
    var generator = SeededGenerator(seed: 5)
    let shapes = [[4, 6], [10], [3, 3, 3], [1]]
    let model = try shapes.enumerated().map { index, shape in
      try WeightTensor(
        name: "layer\(index)", shape: shape, values: generator.uniformFloats(shape.reduce(1, *)))
    }
    let p = try pruner(sparsity: 0.5, metric: .l2Magnitude, minNonzero: 1)
    var pruned = model
    let masks = try p.prune(&pruned)
    #expect(masks.count == model.count)
    for index in model.indices {
      var single = model[index]
      let mask = try p.prune(&single)
      #expect(masks[index] == mask)
      #expect(pruned[index] == single)
      #expect(pruned[index].name == "layer\(index)")
    }
    #expect(masks.map(\.prunedCount) == [12, 5, 13, 0])
  }

  /// A model is pruned where its weights lie, under either scope: every tensor keeps its
  /// storage (a copy of the model would have moved every array, doubling peak memory). On
  /// error, nothing is changed — the tensors are checked before the first is pruned.
  @Test(arguments: [PruningScope.tensor, .global])
  func modelPruningDoesNotCopyTheWeights(scope: PruningScope) throws {
    var generator = SeededGenerator(seed: 17_002)
    var model = try (0 ..< 4).map { index in
      try WeightTensor(name: "w\(index)", shape: [64, 64], values: generator.uniformFloats(4096))
    }
    func addresses(_ model: [WeightTensor]) -> [UnsafeRawPointer?] {
      model.map { $0.values.withUnsafeBytes { $0.baseAddress } }
    }
    let p = Pruner(try PruningConfig(sparsity: 0.5, scope: scope), threadCount: 2)
    // A reference pruned from copies of the values (`map` allocates new arrays).
    var reference = try model.map { t in
      try WeightTensor(name: t.name, shape: t.shape, values: t.values.map { $0 })
    }
    let expected = try p.prune(&reference)
    let before = addresses(model)
    let masks = try p.prune(&model)
    #expect(addresses(model) == before)
    #expect(masks == expected)
    #expect(model == reference)

    var corrupt = try (0 ..< 3).map { index in
      try WeightTensor(name: "c\(index)", shape: [8], values: [1, 2, 3, 4, 5, 6, 7, index == 2 ? .nan : 8])
    }
    let corruptBefore = addresses(corrupt)
    #expect(throws: PruningError.nonFiniteWeights(name: "c2", count: 1)) {
      try p.prune(&corrupt)
    }
    #expect(corrupt.prefix(2).allSatisfy { $0.values == [1, 2, 3, 4, 5, 6, 7, 8] })
    #expect(addresses(corrupt) == corruptBefore)
  }

  @Test func prunedCopyEqualsInPlacePruning() throws {
    var generator = SeededGenerator(seed: 6)
    let original = try tensor(generator.uniformFloats(60), shape: [6, 10])
    for granularity in PruningGranularity.all {
      let p = try pruner(sparsity: 0.5, granularity: granularity)
      let copy = try p.pruned(original)
      var inPlace = original
      let mask = try p.prune(&inPlace)
      #expect(copy.tensor == inPlace)
      #expect(copy.mask == mask)
    }
  }

  @Test func spanPruningEqualsTensorPruning() throws {
    var generator = SeededGenerator(seed: 8)
    let values = generator.uniformFloats(120)
    for granularity in PruningGranularity.all {
      for metric in allMetrics {
        let p = try pruner(sparsity: 0.6, metric: metric, granularity: granularity)
        var t = try tensor(values, shape: [12, 10])
        let mask = try p.prune(&t)
        var raw = values
        let spanMask = try pruneSpan(p, &raw, shape: [12, 10])
        #expect(spanMask == mask)
        #expect(raw == t.values)
      }
    }
  }

  @Test func threadCountIsAtLeastOne() throws {
    let config = try PruningConfig(sparsity: 0.5)
    #expect(Pruner(config, threadCount: 0).threadCount == 1)
    #expect(Pruner(config, threadCount: -3).threadCount == 1)
    #expect(Pruner(config, threadCount: 4).threadCount == 4)
    #expect(Pruner(config).threadCount >= 1)
    #expect(Pruner(config).config == config)
  }

  @Test func convenienceConfigurations() throws {
    let l1 = try PruningConfig.unstructuredL1(sparsity: 0.25)
    #expect(
      l1 == (try PruningConfig(sparsity: 0.25, metric: .l1Magnitude, granularity: .unstructured)))
    let rows = try PruningConfig.rowsL2(sparsity: 0.75)
    #expect(rows == (try PruningConfig(sparsity: 0.75, metric: .l2Magnitude, granularity: .rows)))
    #expect(rows.minNonzero == 1)
  }

  @Test func namesForReportsAndTheCommandLine() throws {
    #expect(ImportanceMetric.l1Magnitude.name == "l1")
    #expect(ImportanceMetric.l2Magnitude.name == "l2")
    #expect(ImportanceMetric.taylorProxy.name == "taylor-proxy")
    #expect(ImportanceMetric.taylor.name == "taylor")
    #expect(ImportanceMetric.wanda.name == "wanda")
    #expect(ImportanceMetric.supplied.name == "supplied")
    #expect(ImportanceMetric.random(seed: 3).name == "random")
    #expect(PruningGranularity.all.map(\.name) == ["unstructured", "rows", "columns"])
    #expect(PruningGranularity.semiStructured(keep: 2, of: 4).name == "2:4")
    #expect(PruningGranularity.blocks(try BlockShape(rows: 4, columns: 2)).name == "block:4x2")
    #expect(
      PruningGranularity.blocks(try BlockShape(rows: 1, columns: 8, pooling: .max)).name
        == "block:1x8:max")
  }
}
