import Foundation
import Testing
import TestSupport

/// Bad `--activations` for Wanda: the error names the activations file, the tensor and what
/// is wrong with the activations — never "non-finite weights", never the checkpoint — and
/// activations that carry no signal (all zero, no samples) are refused rather than letting
/// the choice fall to index order.
@Suite("bonsai prune --metric wanda: errors about activations name the activations")
struct ActivationMessageTests {
  /// Activations of the tensor `layer.weight` [4, 8], and what the error must say.
  static let cases: [(activations: [Int], values: [Float], message: String)] = [
    ([3, 8], (0 ..< 24).map { $0 == 10 ? .nan : 1 }, "1 of its calibration inputs is NaN or ±Inf"),
    ([3, 8], [Float](repeating: 3e38, count: 24), "8 of its input norms are beyond the largest Float"),
    ([8], [1, 2, -1, 1, 1, -3, 1, 1], "2 of its input norms are negative"),
    ([8], [1, 2, .nan, 1, 1, 1, 1, 1], "1 of its input norms is NaN or ±Inf"),
    ([3, 8], [Float](repeating: 0, count: 24), "every input norm is 0"),
    ([8], [Float](repeating: 0, count: 8), "every input norm is 0"),
    ([0, 8], [], "has shape [0, 8]: no calibration samples"),
  ]

  @Test("refused with one line naming --activations FILE, the tensor and the problem", arguments: 0 ..< cases.count)
  func refused(index: Int) throws {
    let (shape, values, message) = Self.cases[index]
    let directory = try TemporaryDirectory()
    var generator = SeededGenerator(seed: 5)
    try writeCheckpoint(directory.file("w.safetensors"), floats: [("layer.weight", [4, 8], generator.floats(32))])
    try writeCheckpoint(directory.file("a.safetensors"), floats: [("layer.weight", shape, values)])
    for scope in [[], ["--scope", "global"]] {
      let result = try BonsaiProcess.run(
        ["prune", directory.file("w.safetensors"), "-o", directory.file("out.safetensors"), "--quiet",
         "--metric", "wanda", "--activations", directory.file("a.safetensors")] + scope)
      #expect(result.status == 1, "\(result.standardError)")
      let lines = result.standardError.split(separator: "\n")
      #expect(lines.count == 1, "\(result.standardError)")
      #expect(
        result.standardError.hasPrefix(
          "bonsai: error: --activations \(directory.file("a.safetensors")): tensor \"layer.weight\""),
        "\(result.standardError)")
      #expect(result.standardError.contains(message), "\(result.standardError)")
      #expect(!result.standardError.contains("weight (NaN") && !result.standardError.contains("weights (NaN"))
      #expect(try directory.entries() == ["a.safetensors", "w.safetensors"], "nothing written")
    }
  }

  @Test("a dead input column among live ones is Wanda's ordinary case: accepted")
  func someZeroNorms() throws {
    let directory = try TemporaryDirectory()
    var generator = SeededGenerator(seed: 6)
    try writeCheckpoint(directory.file("w.safetensors"), floats: [("layer.weight", [4, 8], generator.floats(32))])
    try writeCheckpoint(directory.file("a.safetensors"), floats: [("layer.weight", [8], [1, 0, 2, 3, 0, 1, 1, 1])])
    let result = try BonsaiProcess.run(
      ["prune", directory.file("w.safetensors"), "-o", directory.file("out.safetensors"), "--quiet",
       "--metric", "wanda", "--activations", directory.file("a.safetensors")])
    #expect(result.status == 0, "\(result.standardError)")
    // The zero columns hold the lowest scores: they are pruned first.
    let pruned = try readFloats(directory.file("out.safetensors"), "layer.weight")
    #expect((0 ..< 4).allSatisfy { pruned[$0 * 8 + 1] == 0 && pruned[$0 * 8 + 4] == 0 })
  }
}
