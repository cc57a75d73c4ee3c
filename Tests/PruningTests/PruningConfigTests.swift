// PruningConfig as a value: Codable, and never holding options its initializer rejects.

import Foundation
import Testing
@testable import Pruning

@Suite struct PruningConfigTests {
  @Test(arguments: allMetrics + [.random(seed: .max), .random(seed: 0)], PruningGranularity.all)
  func codableRoundTrip(metric: ImportanceMetric, granularity: PruningGranularity) throws {
    let config = try PruningConfig(
      sparsity: 0.625, metric: metric, granularity: granularity, minNonzero: 17)
    #expect(try roundTrip(config) == config)
    #expect(try roundTrip(metric) == metric)
    #expect(try roundTrip(granularity) == granularity)
  }

  @Test(arguments: [
    (#"{"sparsity":1.5,"metric":{"l1Magnitude":{}},"granularity":{"unstructured":{}},"#
       + #""minNonzero":1}"#,
     PruningError.sparsityOutOfRange(1.5)),
    (#"{"sparsity":-0.5,"metric":{"l1Magnitude":{}},"granularity":{"unstructured":{}},"#
       + #""minNonzero":1}"#,
     .sparsityOutOfRange(-0.5)),
    (#"{"sparsity":1,"metric":{"l1Magnitude":{}},"granularity":{"rows":{}},"minNonzero":1}"#,
     .sparsityOutOfRange(1)),
    (#"{"sparsity":0.5,"metric":{"l2Magnitude":{}},"granularity":{"unstructured":{}},"#
       + #""minNonzero":-4}"#,
     .negativeMinNonzero(-4)),
  ])
  func decodingRejectsWhatTheInitializerRejects(json: String, expected: PruningError) throws {
    // A configuration read from a file must not bypass the range checks: with sparsity 1.5
    // or minNonzero −4, pruning would be asked for more units than the tensor has.
    #expect(throws: expected) {
      try JSONDecoder().decode(PruningConfig.self, from: Data(json.utf8))
    }
  }

  @Test func decodingReportsMissingFields() {
    #expect(throws: DecodingError.self) {
      try JSONDecoder().decode(PruningConfig.self, from: Data(#"{"sparsity":0.5}"#.utf8))
    }
  }

  @Test func decodingAValidConfiguration() throws {
    let json = #"{"sparsity":0.25,"metric":{"random":{"seed":7}},"#
      + #""granularity":{"columns":{}},"minNonzero":3}"#
    let config = try JSONDecoder().decode(PruningConfig.self, from: Data(json.utf8))
    #expect(config == (try PruningConfig(
      sparsity: 0.25, metric: .random(seed: 7), granularity: .columns, minNonzero: 3)))
  }
}
