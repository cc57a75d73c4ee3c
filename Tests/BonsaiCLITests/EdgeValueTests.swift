import Foundation
import SafeTensors
import Testing
import TestSupport

/// Edge shapes and sparsities through the built binary, each with its documented outcome.
@Suite("edge values on the command line")
struct EdgeValueTests {
  /// A checkpoint of a zero-sized tensor, a scalar, a 1×1 and a 1×5 matrix.
  func edgeCheckpoint(_ folder: TemporaryDirectory) throws -> String {
    let path = folder.file("edge.safetensors")
    try writeCheckpoint(
      path,
      floats: [
        ("empty", [0, 4], []), ("scalar", [], [2.5]), ("one", [1, 1], [-3]),
        ("row", [1, 5], [5, -1, 4, -2, 3]),
      ])
    return path
  }

  /// The F32 values of every tensor of the checkpoint at `path`, by name.
  func tensors(_ path: String) throws -> [String: [Float]] {
    let file = try SafeTensorsFile(path: path)
    return Dictionary(uniqueKeysWithValues: try file.tensors.map { ($0.name, try readFloats(path, $0.name)) })
  }

  @Test(arguments: [
    // sparsity, expected values of "row"; "scalar" and "one" keep their single weight
    // (min-nonzero 1), "empty" is copied.
    ("0", [5, -1, 4, -2, 3] as [Float]),
    ("0.5", [5, 0, 4, 0, 3]),
    ("0.9999999", [5, 0, 0, 0, 0]),
  ])
  func everyTensorHasADefinedOutcome(sparsity: String, row: [Float]) throws {
    let folder = try TemporaryDirectory()
    let input = try edgeCheckpoint(folder)
    let output = folder.file("out.safetensors")
    let result = try BonsaiProcess.run([
      "prune", input, "-o", output, "--include", ".*", "--sparsity", sparsity,
    ])
    #expect(result.status == 0, "\(result.standardError)")
    #expect(result.standardOutput.contains("skip   empty: has no elements"))
    let pruned = try tensors(output)
    #expect(pruned["empty"] == [])
    #expect(pruned["scalar"] == [2.5])
    #expect(pruned["one"] == [-3])
    #expect(pruned["row"] == row)
  }

  @Test func minNonzeroCapsWhatIsPruned() throws {
    // floor(0.9 × 5) = 4, capped at 5 − 3 = 2 so that 3 weights survive.
    let folder = try TemporaryDirectory()
    let input = try edgeCheckpoint(folder)
    let output = folder.file("out.safetensors")
    let result = try BonsaiProcess.run([
      "prune", input, "-o", output, "--include", "row", "--sparsity", "0.9", "--min-nonzero", "3",
    ])
    #expect(result.status == 0, "\(result.standardError)")
    #expect(try tensors(output)["row"] == [5, 0, 4, 0, 3])
  }
}
