import Foundation
import Testing
import TestSupport

@Suite("what bonsai prints and records says exactly what happened")
struct OptionConsistencyTests {
  @Test func helpShowsDefaultsAsTyped() throws {
    let result = try BonsaiProcess.run(["prune", "--help"])
    #expect(result.status == 0)
    #expect(result.standardOutput.contains("default: unstructured)"))
    #expect(!result.standardOutput.contains("GranularityOption"))
  }

  @Test func oneSurvivingWeightIsNeverShownAsAllPruned() throws {
    let folder = try TemporaryDirectory()
    let input = folder.file("in.safetensors")
    var generator = SeededGenerator(seed: 9)
    try writeCheckpoint(input, floats: [("w", [100, 300], generator.floats(30_000).map { $0 + 2 })])
    let result = try BonsaiProcess.run([
      "prune", input, "-o", folder.file("out.safetensors"), "--sparsity", "0.99999999999",
    ])
    #expect(result.status == 0, "\(result.standardError)")
    #expect(result.standardOutput.contains("0.00% → 99.99%"), "\(result.standardOutput)")
    #expect(result.standardOutput.contains("1 of 30000 weights nonzero, overall sparsity 99.99%"))
    #expect(!result.standardOutput.contains("100.00%"))
  }

  @Test func randomScoresAreRecordedAsRandom() throws {
    let folder = try TemporaryDirectory()
    let input = folder.file("in.safetensors")
    try writeCheckpoint(input, floats: [("w", [2, 3], [1, 2, 3, 4, 5, 6])])
    let report = folder.file("r.json")
    let result = try BonsaiProcess.run([
      "prune", input, "-o", folder.file("out.safetensors"), "--metric", "random", "--seed", "7",
      "--report", report, "--quiet",
    ])
    #expect(result.status == 0, "\(result.standardError)")
    let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report))) as? [String: Any]
    let tensors = json?["tensors"] as? [[String: Any]]
    #expect(tensors?.first?["score_source"] as? String == "random (seed 7)")
  }
}
