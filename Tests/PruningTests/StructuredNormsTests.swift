// Row and column scores (one norm per row — `cblas_snrm2`, or the C kernel's sum of |x| —
// and the C kernel's banded column sums) against norms computed in Double, on awkward shapes.

import Testing
import TestSupport
@testable import Pruning

private let shapes: [(rows: Int, columns: Int)] = [
  (1, 1), (1, 1000), (1000, 1), (7, 13), (13, 9), (1000, 3), (3, 1000), (9, 7_283),
  (3, 70_000), (300, 5000),
]

@Suite struct StructuredNormsTests {
  @Test(arguments: shapes.indices)
  func rowAndColumnNormsMatchDoublePrecision(shapeIndex: Int) throws {
    let (rows, columns) = shapes[shapeIndex]
    var generator = SeededGenerator(seed: 70 + UInt64(shapeIndex))
    let values = generator.uniformFloats(rows * columns, in: -2 ... 2)
    let t = try tensor(values, shape: [rows, columns], name: "m")
    for metric in [ImportanceMetric.l1Magnitude, .l2Magnitude] {
      let rowScores = try t.importanceScores(metric: metric, granularity: .rows).values
      let expectedRows = ReferencePruning.rowNorms(
        values, rows: rows, columns: columns, metric: metric.reference)
      expectClose(rowScores, expectedRows, "\(rows)×\(columns) rows \(metric)")

      let columnScores = try t.importanceScores(metric: metric, granularity: .columns).values
      let expectedColumns = ReferencePruning.columnNorms(
        values, rows: rows, columns: columns, metric: metric.reference)
      expectClose(columnScores, expectedColumns, "\(rows)×\(columns) columns \(metric)")
    }
  }

  @Test func wideDynamicRange() throws {
    // Columns and rows whose entries span twelve orders of magnitude.
    var generator = SeededGenerator(seed: 79)
    let (rows, columns) = (257, 131)
    let values = (0 ..< rows * columns).map { index -> Float in
      let scale = Float(1e-6) * pow10(Float(index % 13))
      return generator.uniformFloats(1)[0] * scale
    }
    let t = try tensor(values, shape: [rows, columns])
    for metric in [ImportanceMetric.l1Magnitude, .l2Magnitude] {
      expectClose(
        try t.importanceScores(metric: metric, granularity: .rows).values,
        ReferencePruning.rowNorms(values, rows: rows, columns: columns, metric: metric.reference),
        "rows \(metric)")
      expectClose(
        try t.importanceScores(metric: metric, granularity: .columns).values,
        ReferencePruning.columnNorms(
          values, rows: rows, columns: columns, metric: metric.reference),
        "columns \(metric)")
    }
  }

  @Test(arguments: [Float(1e20), 3e-30])
  func columnL2NormsOfExtremeButFiniteWeights(magnitude: Float) throws {
    // The L2 norm of four weights of 1e20 is 2e20 and of four of 3e-30 is 6e-30: ordinary
    // Floats, although w² overflows (1e40) or underflows (9e-60) in Float. The rows get this
    // right (cblas_snrm2); the columns must too, or every such column scores +Inf (or 0) and
    // they are ranked by index instead of by norm.
    let values: [Float] = [1, 2, 3, 4].flatMap { scale in [magnitude * scale, magnitude] }
    // Column 0 is m·(1, 2, 3, 4), column 1 is m·(1, 1, 1, 1).
    let t = try tensor(values, shape: [4, 2])
    let expected = [Double(magnitude) * 30.0.squareRoot(), Double(magnitude) * 2]
    let transposed = try tensor([0, 2, 4, 6, 1, 3, 5, 7].map { values[$0] }, shape: [2, 4])
    expectClose(
      try transposed.importanceScores(metric: .l2Magnitude, granularity: .rows).values, expected,
      "rows of the transpose")
    expectClose(
      try t.importanceScores(metric: .l2Magnitude, granularity: .columns).values, expected,
      "columns")
    // And the decision: column 1 has the lower norm.
    var pruned = t
    let mask = try pruner(sparsity: 0.5, metric: .l2Magnitude, granularity: .columns).prune(&pruned)
    #expect(keptFlags(mask) == [true, false, true, false, true, false, true, false])
  }

  /// Rows longer than the column scratch block (65,536 columns) are scored in pieces of
  /// columns: every BLAS call's sizes fit an `Int32` whatever the row length (a row of
  /// 2³¹ columns trapped), and each column is still the Double sum over all rows.
  @Test func columnNormsOfRowsLongerThanOneBlock() throws {
    var generator = SeededGenerator(seed: 17_007)
    let (rows, columns) = (3, 70_001)
    let values = generator.uniformFloats(rows * columns, in: -2 ... 2)
    let halves = values.map { Float16($0) }
    for metric in [ImportanceMetric.l1Magnitude, .l2Magnitude] {
      let p = Pruner(try PruningConfig(sparsity: 0, metric: metric, granularity: .columns))
      let scores = try p.importanceScores(of: halves.span, shape: [rows, columns], name: "w")
      let wrong = [0, 1, 65_535, 65_536, 65_537, 70_000].filter { column in
        let parts = (0 ..< rows).map { Double(halves[$0 * columns + column].widened) }
        let expected = metric == .l1Magnitude
          ? parts.reduce(0) { $0 + abs($1) } : parts.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return !close(Double(scores.values[column]), expected)
      }
      #expect(wrong.isEmpty, "\(metric): columns \(wrong)")
    }
  }

  @Test func columnScoresDoNotDependOnTheThreadCount() throws {
    var generator = SeededGenerator(seed: 80)
    let (rows, columns) = (211, 1_777)
    let values = generator.uniformFloats(rows * columns)
    let t = try tensor(values, shape: [rows, columns])
    for metric in [ImportanceMetric.l1Magnitude, .l2Magnitude] {
      for granularity in [PruningGranularity.rows, .columns] {
        let scores = try [1, 2, 3, 8].map { threads in
          try pruner(sparsity: 0.5, metric: metric, granularity: granularity, threads: threads)
            .importanceScores(of: t).values
        }
        #expect(scores.allSatisfy { $0 == scores[0] }, "\(metric) \(granularity)")
      }
    }
  }

  @Test func halfPrecisionNormsEqualTheNormsOfTheWidenedFloats() throws {
    // Scored through the Float16 → Float scratch path; the mask must match the Float one,
    // which it can only do if the row and column norms are the same.
    var generator = SeededGenerator(seed: 81)
    let (rows, columns) = (97, 203)
    let halves = generator.uniformFloats(rows * columns).map { Float16($0) }
    for metric in [ImportanceMetric.l1Magnitude, .l2Magnitude] {
      for granularity in [PruningGranularity.rows, .columns] {
        for sparsity in [0.1, 0.5, 0.9] {
          let p = try pruner(sparsity: sparsity, metric: metric, granularity: granularity)
          var narrow = halves
          let mask = try pruneSpan(p, &narrow, shape: [rows, columns])
          var wide = try tensor(halves.map { Float($0) }, shape: [rows, columns])
          #expect(try p.prune(&wide) == mask)
        }
      }
    }
  }

  @Test func rowsAndColumnsOfATransposeAgree() throws {
    var generator = SeededGenerator(seed: 82)
    let (rows, columns) = (45, 67)
    let values = generator.uniformFloats(rows * columns)
    var transposed = [Float](repeating: 0, count: values.count)
    for row in 0 ..< rows {
      for column in 0 ..< columns {
        transposed[column * rows + row] = values[row * columns + column]
      }
    }
    let a = try tensor(values, shape: [rows, columns])
    let b = try tensor(transposed, shape: [columns, rows])
    for metric in [ImportanceMetric.l1Magnitude, .l2Magnitude] {
      let columnScores = try a.importanceScores(metric: metric, granularity: .columns).values
      let rowScores = try b.importanceScores(metric: metric, granularity: .rows).values
      expectClose(columnScores, rowScores.map(Double.init), "\(metric)")
    }
  }
}

private func pow10(_ exponent: Float) -> Float {
  (0 ..< Int(exponent)).reduce(1) { value, _ in value * 10 }
}

private func expectClose(
  _ actual: [Float], _ expected: [Double], _ comment: String,
  sourceLocation: SourceLocation = #_sourceLocation
) {
  #expect(actual.count == expected.count, "\(comment)", sourceLocation: sourceLocation)
  let wrong = zip(actual, expected).enumerated().filter { _, pair in
    !close(Double(pair.0), pair.1, relative: 1e-5)
  }
  let examples = wrong.prefix(3).map { "#\($0.offset): \($0.element.0) vs \($0.element.1)" }
  #expect(
    wrong.isEmpty, "\(comment): \(wrong.count) wrong, first \(examples)",
    sourceLocation: sourceLocation)
}
