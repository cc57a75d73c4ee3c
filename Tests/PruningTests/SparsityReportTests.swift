// Sparsity reports: zeros counted, not assumed; totals over a model; one-line summaries;
// a Codable value for JSON output.

import Foundation
import Testing
import TestSupport
@testable import Pruning

@Suite struct SparsityReportTests {
  @Test func reportOfATensor() throws {
    let t = try WeightTensor(
      name: "fc1.weight", shape: [2, 4], values: [0, 1, 0, 2, 0, 3, 0, 4])
    let report = SparsityReport(t)
    #expect(report.name == "fc1.weight")
    #expect(report.shape == [2, 4])
    #expect(report.total == 8)
    #expect(report.nonzero == 4)
    #expect(report.sparsity == 0.5)
    #expect(report.zeroFraction == 0.5)
    #expect(report.density == 0.5)
    #expect(report.summary == "fc1.weight [2, 4]: 4 of 8 nonzero, sparsity 50.00%")
  }

  @Test func bothZerosCountAsZeroAndNaNDoesNot() throws {
    let t = try tensor([0, -0.0, .nan, .leastNonzeroMagnitude, -.leastNonzeroMagnitude, 3])
    let report = SparsityReport(t)
    #expect(report.nonzero == 4)
    #expect(report.sparsity == 2.0 / 6.0)
    #expect(report.density == 1 - report.sparsity)
    #expect(abs(report.density - 4.0 / 6.0) < 1e-15)
    #expect(report.summary == "t [6]: 4 of 6 nonzero, sparsity 33.33%")
  }

  @Test func reportOfHalfPrecisionWeightsWhereTheyLie() {
    let halves: [Float16] = [0, -0.0, 1, -2, 0, 6.0e-8]
    let half = SparsityReport(name: "h", shape: [2, 3], values: halves.span)
    #expect(half.total == 6)
    #expect(half.nonzero == 3)
    #expect(half.shape == [2, 3])
    let brains = [0x0000, 0x8000, 0x3F80, 0x0001, 0x8001, 0x0000].map(BFloat16.init(bitPattern:))
    let brain = SparsityReport(name: "b", shape: [6], values: brains.span)
    #expect(brain.nonzero == 3)
    #expect(brain.sparsity == 0.5)
  }

  @Test func reportAfterPruningCountsTheZeros() throws {
    var generator = SeededGenerator(seed: 50)
    var t = try tensor(generator.uniformFloats(1000, in: 0.5 ... 1), shape: [10, 100], name: "w")
    try pruner(sparsity: 0.3).prune(&t)
    let report = SparsityReport(t)
    #expect(report.nonzero == 700)
    #expect(report.sparsity == 0.3)
    #expect(abs(report.density - 0.7) < 1e-15)
    #expect(report.summary == "w [10, 100]: 700 of 1000 nonzero, sparsity 30.00%")
  }

  @Test func reportFromCounts() throws {
    let report = try SparsityReport(name: "x", shape: [3], total: 3, nonzero: 1)
    #expect(report.sparsity == 2.0 / 3.0)
    #expect(report.zeroFraction == report.sparsity)
    #expect(report.density == 1 - report.sparsity)
    #expect(report.summary == "x [3]: 1 of 3 nonzero, sparsity 66.67%")
    let empty = try SparsityReport(name: "e", shape: [0], total: 0, nonzero: 0)
    #expect(empty.sparsity == 0)
    #expect(empty.density == 1)
    #expect(empty.summary == "e [0]: 0 of 0 nonzero, sparsity 0.00%")
  }

  @Test func modelReportTotals() throws {
    let model = [
      try tensor([0, 0, 0, 1], name: "a"),
      try tensor([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0], shape: [3, 4], name: "b"),
    ]
    let report = ModelSparsityReport(model)
    #expect(report.tensors == model.map(SparsityReport.init))
    #expect(report.total == 16)
    #expect(report.nonzero == 12)
    // Weighted by elements, not the mean of the per-tensor sparsities (0.75 and 1/12).
    #expect(report.overallSparsity == 0.25)
    #expect(report.summary == "2 tensors, 12 of 16 nonzero, overall sparsity 25.00%")
  }

  @Test func modelReportSummaryCountsTensors() throws {
    let one = ModelSparsityReport([try tensor([0, 1, 1])])
    #expect(one.summary == "1 tensor, 2 of 3 nonzero, overall sparsity 33.33%")
    let none = ModelSparsityReport(tensors: [])
    #expect(none.total == 0)
    #expect(none.overallSparsity == 0)
    #expect(none.summary == "0 tensors, 0 of 0 nonzero, overall sparsity 0.00%")
  }

  @Test(arguments: [
    (0.0, "0.00%"), (1.0, "100.00%"), (0.5, "50.00%"), (0.3, "30.00%"), (0.0005, "0.05%"),
    (0.07, "7.00%"), (0.123_45, "12.35%"), (1.0 / 3.0, "33.33%"),
    (0.1001, "10.01%"), (0.101, "10.10%"),
    // Only 1 reads 100.00% and only 0 reads 0.00%: a survivor or a pruned weight shows.
    (0.999_999, "99.99%"), (0.999_95, "99.99%"), (0.000_01, "0.01%"),
  ])
  func percentHasTwoDecimals(fraction: Double, text: String) {
    #expect(Percent(fraction).description == text)
    #expect(Percent(fraction).fraction == fraction)
  }

  @Test func codableRoundTrips() throws {
    let t = try tensor([0, 1, 0, 2, 3, 0.5], shape: [2, 3], name: "layers.0.mlp.up_proj.weight")
    let report = SparsityReport(t)
    #expect(try roundTrip(report) == report)
    let model = ModelSparsityReport([t, try tensor([0, 0, 1], name: "bias")])
    #expect(try roundTrip(model) == model)
    // The JSON names its fields as the properties do.
    let json = String(decoding: try JSONEncoder().encode(report), as: UTF8.self)
    for key in ["name", "shape", "total", "nonzero", "sparsity", "zeroFraction", "density"] {
      #expect(json.contains("\"\(key)\""))
    }
  }
}
