// Block pruning: blocks tile the matrix from the top-left (edge blocks smaller), each
// scored by the mean (Double sum over the count, rounded to Float) or the maximum of its
// element scores; the k lowest blocks go, k capped with the smallest block's size. Checked
// against `ReferenceMethods.blockPruned`.

import Testing
import TestSupport
@testable import Pruning

/// A matrix shape and a block shape tiling it.
struct BlockCase: Sendable, CustomTestStringConvertible {
  let shape: MatrixShape
  let blockRows: Int
  let blockColumns: Int

  init(_ rows: Int, _ columns: Int, block blockRows: Int, _ blockColumns: Int) {
    self.shape = MatrixShape(rows, columns)
    self.blockRows = blockRows
    self.blockColumns = blockColumns
  }

  var testDescription: String { "\(shape.testDescription) in \(blockRows)×\(blockColumns)" }

  func granularity(_ pooling: BlockPooling) throws -> PruningGranularity {
    .blocks(try BlockShape(rows: blockRows, columns: blockColumns, pooling: pooling))
  }

  var blockCount: Int {
    let grid = ReferenceMethods.blockGrid(
      rows: shape.rows, columns: shape.columns, blockRows: blockRows, blockColumns: blockColumns)
    return grid.rows * grid.columns
  }
}

private let blockCases: [BlockCase] = [
  .init(7, 12, block: 2, 5),  // edge blocks 1×5, 2×2 and 1×2
  .init(33, 64, block: 4, 4),  // a bottom row of 1×4 blocks
  .init(1, 8, block: 3, 3),  // blocks taller than the matrix
  .init(5, 9, block: 1, 1),  // blocks of one element
  .init(10, 10, block: 10, 10),  // one block
  .init(40, 70, block: 8, 16),  // edge blocks 8×6
]

private func referencePooling(_ pooling: BlockPooling) -> ReferenceBlockPooling {
  pooling == .mean ? .mean : .max
}

@Suite struct BlockTests {
  /// Under L1, L2 and the Taylor proxy, mean and max pooling, block scores and masks equal
  /// the reference's, including the minNonzero cap by the smallest block, at any thread count.
  @Test(arguments: blockCases)
  func magnitudeBlocksFollowTheReference(_ c: BlockCase) throws {
    var generator = SeededGenerator(seed: 4_000 + UInt64(c.shape.count))
    let values = generator.uniformFloats(c.shape.count, in: -2 ... 2)
    let t = try tensor(values, shape: c.shape.dimensions)
    for metric in [ImportanceMetric.l1Magnitude, .l2Magnitude, .taylorProxy] {
      let elementScores = ReferencePruning.elementScores(values, metric: metric.reference)
      for pooling in BlockPooling.allCases {
        let granularity = try c.granularity(pooling)
        let blockScores = ReferenceMethods.blockScores(
          elementScores: elementScores, rows: c.shape.rows, columns: c.shape.columns,
          blockRows: c.blockRows, blockColumns: c.blockColumns,
          pooling: referencePooling(pooling))
        let scores = try Pruner(
          try PruningConfig(sparsity: 0, metric: metric, granularity: granularity)
        ).importanceScores(of: t)
        #expect(differences(scores.values, blockScores) == nil, "\(metric) \(pooling)")
        for sparsity in [0.3, 0.5, 0.95] {
          for minNonzero in [0, 1, c.shape.count / 2] {
            let expected = ReferenceMethods.blockPruned(
              elementScores: elementScores, rows: c.shape.rows, columns: c.shape.columns,
              blockRows: c.blockRows, blockColumns: c.blockColumns,
              pooling: referencePooling(pooling), sparsity: sparsity, minNonzero: minNonzero)
            let config = try PruningConfig(
              sparsity: sparsity, metric: metric, granularity: granularity,
              minNonzero: minNonzero)
            for threads in [1, 3] {
              var pruned = t
              let mask = try Pruner(config, threadCount: threads).prune(&pruned)
              let label = "\(metric) \(pooling) s \(sparsity) mnz \(minNonzero) th \(threads)"
              #expect(differences(prunedFlags(mask), expected) == nil, "\(label)")
              #expect(firstWrongValue(pruned.values, original: values, pruned: expected) == nil)
            }
          }
        }
      }
    }
  }

  /// The random metric scores block b by `RandomScores.unitScore(seed, unit: b)`, the LCG
  /// step from seed + b, the same for both poolings.
  @Test(arguments: blockCases)
  func randomBlocksUseOneLCGStepPerBlock(_ c: BlockCase) throws {
    let values = [Float](repeating: 1, count: c.shape.count)
    let seed: UInt64 = 4_242
    let unitScores = ReferencePruning.randomUnitScores(seed: seed, units: c.blockCount)
    let libraryScores = (0 ..< c.blockCount).map { RandomScores.unitScore(seed: seed, unit: $0) }
    #expect(unitScores == libraryScores)
    for pooling in BlockPooling.allCases {
      let config = try PruningConfig(
        sparsity: 0.5, metric: .random(seed: seed), granularity: try c.granularity(pooling),
        minNonzero: 0)
      var t = try tensor(values, shape: c.shape.dimensions)
      let mask = try Pruner(config).prune(&t)
      let k = Int((0.5 * Double(c.blockCount)).rounded(.down))
      let blockPruned = ReferencePruning.prunedBySorting(unitScores, k: k)
      let expected = blockElementsPruned(
        blockPruned, shape: c.shape, blockRows: c.blockRows, blockColumns: c.blockColumns)
      #expect(prunedFlags(mask) == expected, "\(pooling)")
    }
  }

  /// Taylor, Wanda and supplied scores pool like magnitudes: the reference's element scores,
  /// pooled by mean or max, decide the blocks.
  @Test func inputScoredBlocksFollowTheReference() throws {
    var generator = SeededGenerator(seed: 4_300)
    let c = BlockCase(7, 12, block: 3, 5)
    let values = generator.uniformFloats(c.shape.count)
    let gradients = generator.uniformFloats(c.shape.count, in: -5 ... 5)
    let norms = generator.uniformFloats(c.shape.columns, in: 0 ... 3)
    let supplied = generator.uniformFloats(c.shape.count, in: -10 ... 10)
    let cases: [(ImportanceMetric, ScoreInput, [Float])] = [
      (.taylor, .gradients(gradients),
        ReferenceMethods.taylorScores(weights: values, gradients: gradients)),
      (.wanda, .inputNorms(norms),
        ReferenceMethods.wandaScores(
          weights: values, columns: c.shape.columns, inputNorms: norms)),
      (.supplied, .scores(supplied), supplied),
    ]
    for (metric, input, elementScores) in cases {
      for pooling in BlockPooling.allCases {
        let expected = ReferenceMethods.blockPruned(
          elementScores: elementScores, rows: c.shape.rows, columns: c.shape.columns,
          blockRows: c.blockRows, blockColumns: c.blockColumns,
          pooling: referencePooling(pooling), sparsity: 0.4, minNonzero: 1)
        let config = try PruningConfig(
          sparsity: 0.4, metric: metric, granularity: try c.granularity(pooling))
        var t = try tensor(values, shape: c.shape.dimensions)
        let mask = try Pruner(config, threadCount: 2).prune(&t, input: input)
        #expect(prunedFlags(mask) == expected, "\(metric) \(pooling)")
      }
    }
  }

  /// A 4×4 matrix in 2×2 blocks worked by hand: means [0.5, 1, 0.25, 3] prune blocks 2 and
  /// 0; maxima [2, 1, 0.25, 3] prune blocks 2 and 1. The threshold is the second-lowest
  /// block score.
  @Test func twoByTwoBlocksByHand() throws {
    let values: [Float] = [
      2, 0, 1, -1,
      0, 0, -1, 1,
      0.25, -0.25, 3, 3,
      0.25, 0.25, -3, 3,
    ]
    let expectedScores: [BlockPooling: [Float]] = [.mean: [0.5, 1, 0.25, 3], .max: [2, 1, 0.25, 3]]
    let expectedKept: [BlockPooling: [Float]] = [
      .mean: [0, 0, 1, -1, 0, 0, -1, 1, 0, 0, 3, 3, 0, 0, -3, 3],
      .max: [2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 3, 0, 0, -3, 3],
    ]
    for pooling in BlockPooling.allCases {
      let shape = try BlockShape(rows: 2, columns: 2, pooling: pooling)
      var t = try tensor(values, shape: [4, 4])
      let p = Pruner(try PruningConfig(sparsity: 0.5, granularity: .blocks(shape)))
      let scores = try p.importanceScores(of: t)
      #expect(scores.values == expectedScores[pooling])
      #expect(scores.threshold == (pooling == .mean ? 0.5 : 1))
      let mask = try p.prune(&t)
      #expect(t.values == expectedKept[pooling], "\(pooling)")
      #expect(mask.prunedCount == 8)
    }
  }

  /// With edge blocks, minNonzero is measured in the smallest block: a 3×3 matrix in 2×2
  /// blocks has blocks of 4, 2, 2 and 1 elements, so minNonzero 2 keeps two blocks.
  @Test func minNonzeroCapUsesTheSmallestBlock() throws {
    let values: [Float] = [1, 1, 5, 1, 1, 5, 9, 9, 0.5]
    let shape = try BlockShape(rows: 2, columns: 2)
    let config = try PruningConfig(sparsity: 0.9, granularity: .blocks(shape), minNonzero: 2)
    var t = try tensor(values, shape: [3, 3])
    let mask = try Pruner(config).prune(&t)
    // Block means: [1, 5, 9, 0.5]; k = min(floor(0.9 × 4), 4 − ceil(2 / 1)) = 2.
    #expect(t.values == [0, 0, 5, 0, 0, 5, 9, 9, 0])
    #expect(mask.prunedCount == 5)
  }

  /// Block shapes below 1×1 are rejected; a 1-D tensor cannot be tiled; the name says the
  /// pooling unless it is the mean.
  @Test func blockShapeErrorsAndNames() throws {
    for (rows, columns) in [(0, 4), (4, 0), (-1, 2)] {
      #expect(throws: PruningError.invalidBlockShape(rows: rows, columns: columns)) {
        try BlockShape(rows: rows, columns: columns)
      }
    }
    let shape = try BlockShape(rows: 4, columns: 2, pooling: .max)
    #expect(shape.name == "block:4x2:max")
    #expect(try BlockShape(rows: 4, columns: 2).name == "block:4x2")
    var flat = try tensor([1, 2, 3, 4], name: "v")
    let config = try PruningConfig(sparsity: 0.5, granularity: .blocks(shape))
    #expect(
      throws: PruningError.notAMatrix(name: "v", shape: [4], granularity: "block:4x2:max")
    ) {
      try Pruner(config).prune(&flat)
    }
    #expect(
      throws: PruningError.scopeNeedsUnstructured(scope: "global", granularity: "block:4x2:max")
    ) {
      try PruningConfig(sparsity: 0.5, granularity: .blocks(shape), scope: .global)
    }
  }
}
