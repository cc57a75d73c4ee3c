// Score statistics against a Double reference: min, max, mean, median (even counts take the
// mean of the two middle values) and the population standard deviation.

import Testing
import TestSupport
@testable import Pruning

/// The statistics the slow way, in Double, with a full sort for the median.
private struct ReferenceStatistics {
  let min: Double
  let max: Double
  let mean: Double
  let median: Double
  let standardDeviation: Double

  init(_ values: [Float]) {
    let x = values.map(Double.init)
    let sorted = x.sorted()
    min = sorted.first!
    max = sorted.last!
    mean = x.reduce(0, +) / Double(x.count)
    let n = x.count
    median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
    let mean = self.mean
    standardDeviation = (x.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n))
      .squareRoot()
  }
}

private func expectMatches(
  _ statistics: ScoreStatistics, _ values: [Float],
  sourceLocation: SourceLocation = #_sourceLocation
) {
  let reference = ReferenceStatistics(values)
  #expect(statistics.count == values.count, sourceLocation: sourceLocation)
  #expect(statistics.min == reference.min, sourceLocation: sourceLocation)
  #expect(statistics.max == reference.max, sourceLocation: sourceLocation)
  #expect(statistics.median == reference.median, sourceLocation: sourceLocation)
  #expect(close(statistics.mean, reference.mean, relative: 1e-12, absolute: 1e-15),
    sourceLocation: sourceLocation)
  #expect(
    close(
      statistics.standardDeviation, reference.standardDeviation, relative: 1e-9, absolute: 1e-15),
    sourceLocation: sourceLocation)
}

@Suite struct ScoreStatisticsTests {
  @Test func oddCountMedianIsTheMiddleValue() {
    let statistics = ScoreStatistics([5, 1, 4, 2, 3])
    #expect(statistics.count == 5)
    #expect(statistics.min == 1)
    #expect(statistics.max == 5)
    #expect(statistics.mean == 3)
    #expect(statistics.median == 3)
    #expect(statistics.standardDeviation == 2.0.squareRoot())
  }

  @Test func evenCountMedianIsTheMeanOfTheTwoMiddleValues() {
    let statistics = ScoreStatistics([4, 1, 10, 2])
    #expect(statistics.median == 3)
    #expect(statistics.mean == 4.25)
    // Population, not sample: divide by n = 4.
    let deviations = [4, 1, 10, 2].map { ($0 - 4.25) * ($0 - 4.25) }
    #expect(statistics.standardDeviation == (deviations.reduce(0, +) / 4).squareRoot())
    #expect(ScoreStatistics([1, 2]).median == 1.5)
    #expect(ScoreStatistics([0.1, 0.2]).median == (Double(Float(0.1)) + Double(Float(0.2))) / 2)
  }

  @Test func singleValueAndNoValues() {
    let one = ScoreStatistics([2.5])
    #expect([one.min, one.max, one.mean, one.median] == [2.5, 2.5, 2.5, 2.5])
    #expect(one.standardDeviation == 0)
    let none = ScoreStatistics([])
    #expect(none.count == 0)
    #expect([none.min, none.max, none.mean, none.median, none.standardDeviation] == [0, 0, 0, 0, 0])
  }

  @Test func negativeValuesAndZerosOfBothSigns() {
    expectMatches(ScoreStatistics([-3, -0.0, 0, 7, -1, -1]), [-3, -0.0, 0, 7, -1, -1])
    expectMatches(ScoreStatistics([-0.5, -0.25, -4]), [-0.5, -0.25, -4])
  }

  @Test(arguments: [2, 3, 10, 101, 4095, 4096, 4097, 20_000, 70_001])
  func randomValuesMatchTheDoubleReference(count: Int) {
    var generator = SeededGenerator(seed: 900 + UInt64(count))
    let values = generator.uniformFloats(count, in: -2 ... 5)
    expectMatches(ScoreStatistics(values), values)
    let tied = generator.tiedFloats(count, distinct: 4)
    expectMatches(ScoreStatistics(tied), tied)
  }

  @Test func statisticsOfImportanceScores() throws {
    var generator = SeededGenerator(seed: 31)
    let t = try tensor(generator.uniformFloats(24 * 9), shape: [24, 9])
    for granularity in PruningGranularity.all {
      let scores = try t.importanceScores(metric: .l2Magnitude, granularity: granularity)
      expectMatches(scores.statistics, scores.values)
    }
  }

  @Test func magnitudeStatisticsOfEveryPrunableType() {
    var generator = SeededGenerator(seed: 32)
    let floats = generator.uniformFloats(1001, in: -3 ... 3)
    let magnitudes = floats.map { abs($0) }
    expectMatches(ScoreStatistics(magnitudesOf: floats.span), magnitudes)

    let halves = floats.map { Float16($0) }
    expectMatches(ScoreStatistics(magnitudesOf: halves.span), halves.map { abs(Float($0)) })

    let brains = floats.map { BFloat16($0) }
    expectMatches(ScoreStatistics(magnitudesOf: brains.span), brains.map { abs($0.widened) })
    #expect(ScoreStatistics(magnitudesOf: [Float]().span).count == 0)
  }

  @Test func codableRoundTrip() throws {
    let statistics = ScoreStatistics([0.5, 2, 7.25, 1])
    let decoded = try roundTrip(statistics)
    #expect(decoded == statistics)
  }
}
