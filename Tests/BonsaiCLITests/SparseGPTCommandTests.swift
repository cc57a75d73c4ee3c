import Foundation
import SafeTensors
import Testing
import TestSupport

@Suite("bonsai prune --metric sparsegpt and --hessians")
struct SparseGPTCommandTests {
  let identity: [Float] = [2, 0.5, 0, 0.5, 2, 0.5, 0, 0.5, 2]

  /// A model with one [2, 3] weight and a Hessians file holding `hessian` for it.
  func files(_ folder: TemporaryDirectory, weights: [Float] = [1, -2, 3, -4, 5, -6],
             hessian: [Float]? = nil, shape: [Int] = [3, 3]) throws -> (model: String, hessians: String) {
    let model = folder.file("in.safetensors")
    try writeCheckpoint(model, floats: [("layer.weight", [2, 3], weights), ("bias", [6], weights)])
    let hessians = folder.file("h.safetensors")
    try writeCheckpoint(hessians, floats: [("layer.weight", shape, hessian ?? identity)])
    return (model, hessians)
  }

  func expectFailure(
    _ arguments: [String], status: Int32, message: String,
    sourceLocation: SourceLocation = #_sourceLocation
  ) throws {
    let result = try BonsaiProcess.run(arguments)
    #expect(result.status == status, "\(result.standardError)", sourceLocation: sourceLocation)
    #expect(result.standardError.contains(message), "\(result.standardError)", sourceLocation: sourceLocation)
    #expect(result.standardError.hasPrefix("bonsai: error: "), sourceLocation: sourceLocation)
  }

  @Test func prunesExactlyAndReportsTheOutputError() throws {
    let folder = try TemporaryDirectory()
    let original: [Float] = [3, -1, 2, -2, 4, 1]
    let (model, hessians) = try files(folder, weights: original)
    let output = folder.file("out.safetensors")
    let result = try BonsaiProcess.run([
      "prune", model, "-o", output, "--metric", "sparsegpt", "--hessians", hessians,
      "--report", folder.file("r.json"),
    ])
    #expect(result.status == 0, "\(result.standardError)")
    #expect(result.standardOutput.contains("kept weights were updated"))
    #expect(result.standardOutput.contains("output error"))
    let pruned = try readFloats(output, "layer.weight")
    #expect(pruned.filter { $0 == 0 }.count == 3)
    #expect(zip(pruned, original).contains { $0 != 0 && $0 != $1 }, "kept weights updated")
    let report = try JSONSerialization.jsonObject(
      with: Data(contentsOf: URL(fileURLWithPath: folder.file("r.json")))) as? [String: Any]
    let tensors = report?["tensors"] as? [[String: Any]] ?? []
    let layer = tensors.first { $0["name"] as? String == "layer.weight" }
    #expect(layer?["kept_weights"] as? String == "updated")
    #expect((layer?["relative_output_error"] as? Double ?? 0) > 0)
    let config = report?["config"] as? [String: Any]
    #expect(config?["metric"] as? String == "sparsegpt" && config?["block_size"] as? Int == 128)
  }

  @Test func anyMetricReportsTheOutputErrorAndKeepsWeights() throws {
    let folder = try TemporaryDirectory()
    let (model, hessians) = try files(folder)
    let output = folder.file("out.safetensors")
    let result = try BonsaiProcess.run([
      "prune", model, "-o", output, "--metric", "l1", "--hessians", hessians,
    ])
    #expect(result.status == 0, "\(result.standardError)")
    #expect(result.standardOutput.contains("output error"))
    #expect(!result.standardOutput.contains("kept weights were updated"))
    #expect(try readFloats(output, "layer.weight") == [0, 0, 0, -4, 5, -6])
  }

  @Test func usageErrors() throws {
    let folder = try TemporaryDirectory()
    let (model, hessians) = try files(folder)
    let out = folder.file("o.safetensors")
    let sparse = ["prune", model, "-o", out, "--metric", "sparsegpt"]
    try expectFailure(sparse, status: 64, message: "--metric sparsegpt needs --hessians FILE")
    try expectFailure(
      ["prune", model, "-o", out, "--block-size", "64"], status: 64,
      message: "--block-size is used by --metric sparsegpt only")
    try expectFailure(
      ["prune", model, "-o", out, "--dampening", "0.1"], status: 64,
      message: "--dampening is used by --metric sparsegpt only")
    try expectFailure(
      sparse + ["--hessians", hessians, "--activations", hessians], status: 64,
      message: "takes --hessians or --activations, not both")
    try expectFailure(
      sparse + ["--hessians", hessians, "--granularity", "rows"], status: 64,
      message: "prunes single weights or N:M patterns, not --granularity rows")
    try expectFailure(
      sparse + ["--hessians", hessians, "--scope", "global"], status: 64,
      message: "cannot be combined with --scope global")
    try expectFailure(
      sparse + ["--hessians", hessians, "--block-size", "0"], status: 64,
      message: "--block-size: block size 0 is invalid")
    try expectFailure(
      sparse + ["--hessians", hessians, "--dampening=-1"], status: 64,
      message: "--dampening: dampening -1.0 is invalid")
    try expectFailure(
      sparse + ["--hessians", hessians, "--granularity", "2:4", "--block-size", "6",
        "--include", "nothing"], status: 64,
      message: "--block-size: block size 6 is not a multiple of the N:M group 4")
    try expectFailure(
      sparse + ["--hessians", hessians, "--compact"], status: 64,
      message: "cannot be combined with --compact")
    let other = folder.file("other.safetensors")
    try writeCheckpoint(other, floats: [("other.weight", [3, 3], identity)])
    try expectFailure(
      sparse + ["--hessians", other], status: 64,
      message: "has no tensor \"layer.weight\" (nor a metadata entry naming the one it shares)")
  }

  @Test func hessianOfTheWrongShapeOrDType() throws {
    let folder = try TemporaryDirectory()
    let (model, hessians) = try files(folder, hessian: [1, 0, 0, 1], shape: [2, 2])
    try expectFailure(
      ["prune", model, "-o", folder.file("o.safetensors"), "--metric", "sparsegpt", "--hessians", hessians],
      status: 64, message: "tensor \"layer.weight\" has shape [2, 2]; the weight \"layer.weight\" of shape [2, 3] needs [3, 3]")
    let wrongType = folder.file("i32.safetensors")
    try writeCheckpoint(
      wrongType, floats: [], raw: [("layer.weight", .i32, [3, 3], [UInt8](repeating: 0, count: 36))])
    try expectFailure(
      ["prune", model, "-o", folder.file("o.safetensors"), "--hessians", wrongType],
      status: 64, message: "has dtype I32; expected F32 or F64")
  }

  @Test func badHessiansAndWeightsFailNamingTheTensor() throws {
    let folder = try TemporaryDirectory()
    var withNaN = identity
    withNaN[4] = .nan
    let nan = try files(folder, hessian: withNaN)
    try expectFailure(
      ["prune", nan.model, "-o", folder.file("o.safetensors"), "--metric", "sparsegpt", "--hessians", nan.hessians],
      status: 1, message: "tensor \"layer.weight\": 1 non-finite Hessian or activation value")
    var negative = identity
    negative[4] = -1
    let indefinite = try files(folder, hessian: negative)
    try expectFailure(
      ["prune", indefinite.model, "-o", folder.file("o.safetensors"), "--metric", "sparsegpt",
        "--hessians", indefinite.hessians],
      status: 1, message: "tensor \"layer.weight\": the Hessian is not positive semi-definite (input 1)")
    let bad = try files(folder, weights: [1, .infinity, 3, 4, 5, 6])
    try expectFailure(
      ["prune", bad.model, "-o", folder.file("o.safetensors"), "--metric", "sparsegpt", "--hessians", bad.hessians],
      status: 1, message: "tensor \"layer.weight\": 1 non-finite weight")
  }
}
