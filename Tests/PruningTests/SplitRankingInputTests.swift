// Every value a caller can pass to the split-ranking API — directly, or as JSON a step file
// decodes — gets a typed error, never a trap: first places that do not match the tensors,
// bins beyond 16 bits, counts that disagree with the ranking, forged cuts.

import Foundation
import Testing
import TestSupport
@testable import Pruning

@Suite struct SplitRankingInputTests {
  private let pruner: Pruner

  init() throws {
    pruner = Pruner(try PruningConfig(sparsity: 0.5, scope: .global))
  }

  /// The histogram of two weights, 1 and 2, counted as one machine counts them.
  private func twoKeys(highBin: UInt32? = nil) throws -> KeyHistogram {
    let weights: [Float] = [1, 2]
    return try weights.withUnsafeBytes { bytes in
      let tensor = try RankedTensor(name: "w", shape: [2], bytes: bytes, as: Float.self)
      return try pruner.keyHistogram([tensor], firstUnits: [0], highBin: highBin)
    }
  }

  private func decoded<T: Decodable>(_: T.Type, _ json: String) throws -> T {
    try JSONDecoder().decode(T.self, from: Data(json.utf8))
  }

  @Test func firstPlacesMustMatchTheTensors() throws {
    let weights: [Float] = [1, 2]
    try weights.withUnsafeBytes { bytes in
      let tensor = try RankedTensor(name: "w", shape: [2], bytes: bytes, as: Float.self)
      for firstUnits in [[], [0, 2], [-1], [Int.max]] {
        #expect(throws: PruningError.self, "\(firstUnits)") {
          _ = try pruner.keyHistogram([tensor], firstUnits: firstUnits, highBin: nil)
        }
      }
      #expect(throws: PruningError.duplicateTensor(name: "w")) {
        _ = try pruner.keyHistogram([tensor, tensor], firstUnits: [0, 2], highBin: nil)
      }
      #expect(throws: PruningError.self) {
        _ = try pruner.keyHistogram([tensor], firstUnits: [0], highBin: 70_000)
      }
      let cut = SplitCut(threshold: 0, tieQuotas: [:], prunedCount: 0, totalCount: 2)
      #expect(throws: PruningError.self) {
        _ = try pruner.globalCut([tensor], firstUnits: [], following: cut)
      }
    }
  }

  @Test func aHistogramRoundTripsThroughJSON() throws {
    for histogram in [try twoKeys(), try twoKeys(highBin: ScoreKey.key(1) >> 16)] {
      let json = try JSONEncoder().encode(histogram)
      #expect(try JSONDecoder().decode(KeyHistogram.self, from: json) == histogram)
    }
  }

  @Test(arguments: [
    #"{"tensors":["w"],"bins":[[70000,1]],"binsByTensor":{},"zeroKeys":0}"#,
    #"{"tensors":["w"],"bins":[[-1,1]],"binsByTensor":{},"zeroKeys":0}"#,
    #"{"tensors":["w"],"bins":[[5,1],[3,1]],"binsByTensor":{},"zeroKeys":0}"#,
    #"{"tensors":["w"],"bins":[[5,1],[5,1]],"binsByTensor":{},"zeroKeys":0}"#,
    #"{"tensors":["w"],"bins":[[5,-3]],"binsByTensor":{},"zeroKeys":0}"#,
    #"{"tensors":["w"],"bins":[[5,0]],"binsByTensor":{},"zeroKeys":0}"#,
    #"{"tensors":["w"],"bins":[[5]],"binsByTensor":{},"zeroKeys":0}"#,
    #"{"tensors":["w"],"bins":[[1,9223372036854775807],[2,1]],"binsByTensor":{},"zeroKeys":0}"#,
    #"{"tensors":["w"],"bins":[[5,1]],"binsByTensor":{},"zeroKeys":2}"#,
    #"{"tensors":["w"],"bins":[[5,1]],"binsByTensor":{},"zeroKeys":-1}"#,
    #"{"tensors":["w"],"bins":[[5,1]],"binsByTensor":{"w":[[5,1]]},"zeroKeys":0}"#,
    #"{"highBin":70000,"tensors":["w"],"bins":[],"binsByTensor":{},"zeroKeys":0}"#,
    #"{"highBin":3,"tensors":["w"],"bins":[[5,2]],"binsByTensor":{"w":[[5,1]]},"zeroKeys":0}"#,
    #"{"highBin":3,"tensors":["w"],"bins":[[5,1]],"binsByTensor":{"v":[[5,1]]},"zeroKeys":0}"#,
    #"{"highBin":3,"tensors":["w"],"bins":[[5,1]],"binsByTensor":{"w":[[5,1]]},"zeroKeys":1}"#,
  ])
  func forgedHistogramsAreRefused(json: String) throws {
    #expect(throws: DecodingError.self) { _ = try decoded(KeyHistogram.self, json) }
  }

  @Test func countsThatOverflowDoNotMerge() throws {
    let half = #"{"tensors":["X"],"bins":[[1,5000000000000000000]],"binsByTensor":{},"zeroKeys":0}"#
    var merged = try decoded(KeyHistogram.self, half)
    let other = try decoded(KeyHistogram.self, half.replacingOccurrences(of: "X", with: "Y"))
    let added = merged.merge(other)
    #expect(!added)
    #expect(merged.tensors == ["X"])
  }

  @Test func countsMustBeOfTheRanking() throws {
    let coarse = try twoKeys()
    for (names, total) in [(["w"], 10), (["w"], 1), (["w", "v"], 2), (["v"], 2), (["w", "w"], 2)] {
      #expect(throws: PruningError.self, "\(names) \(total)") {
        _ = try pruner.splitRankingStep(names: names, totalCount: total, coarse: coarse, fine: nil)
      }
    }
    let step = try pruner.splitRankingStep(names: ["w"], totalCount: 2, coarse: coarse, fine: nil)
    guard case .refine(let bin) = step else {
      Issue.record("two distinct keys at 50 % need a refinement, got \(step)")
      return
    }
    // Fine counts of another tensor set, or holding fewer keys than the bin, are refused.
    let forged = try decoded(
      KeyHistogram.self,
      #"{"highBin":\#(bin),"tensors":["w"],"bins":[[1,7]],"binsByTensor":{"w":[[1,7]]},"zeroKeys":0}"#)
    #expect(throws: PruningError.self) {
      _ = try pruner.splitRankingStep(names: ["w"], totalCount: 2, coarse: coarse, fine: forged)
    }
    let fine = try twoKeys(highBin: bin)
    let cut = try pruner.splitRankingStep(names: ["w"], totalCount: 2, coarse: coarse, fine: fine)
    guard case .cut(let split) = cut else {
      Issue.record("no cut from exact counts")
      return
    }
    #expect(split.prunedCount == 1 && split.totalCount == 2)
  }

  @Test(arguments: [
    #"{"threshold":5,"tieQuotas":{},"prunedCount":1,"totalCount":-1}"#,
    #"{"threshold":5,"tieQuotas":{},"prunedCount":-1,"totalCount":4}"#,
    #"{"threshold":5,"tieQuotas":{},"prunedCount":5,"totalCount":4}"#,
    #"{"threshold":5,"tieQuotas":{"w":0},"prunedCount":1,"totalCount":4}"#,
    #"{"threshold":5,"tieQuotas":{"w":-2},"prunedCount":1,"totalCount":4}"#,
    #"{"threshold":5,"tieQuotas":{"w":1,"v":1},"prunedCount":1,"totalCount":4}"#,
    #"{"threshold":-5,"tieQuotas":{},"prunedCount":1,"totalCount":4}"#,
    #"{"threshold":5,"tieQuotas":{},"prunedCount":"1","totalCount":4}"#,
  ])
  func forgedCutsAreRefused(json: String) throws {
    #expect(throws: DecodingError.self) { _ = try decoded(SplitCut.self, json) }
  }

  /// A quota larger than the tensor's keys at the threshold cannot be honoured: an error,
  /// not a cut that prunes fewer than it says.
  @Test func aTieQuotaBeyondTheTiesIsRefused() throws {
    let weights: [Float] = [1, 2, 2, 3]
    try weights.withUnsafeBytes { bytes in
      let tensor = try RankedTensor(name: "w", shape: [4], bytes: bytes, as: Float.self)
      let cut = SplitCut(
        threshold: ScoreKey.key(2), tieQuotas: ["w": 3], prunedCount: 4, totalCount: 4)
      #expect(throws: PruningError.self) {
        _ = try pruner.globalCut([tensor], firstUnits: [0], following: cut)
      }
    }
  }
}
