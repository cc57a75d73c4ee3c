import Foundation
import Testing
import TestSupport

@Suite("bonsai's error paths: one line naming what is wrong, the right status, no output")
struct ErrorPathTests {
  func modelFile(_ folder: TemporaryDirectory, values: [Float] = [1, 2, 3, 4, 5, 6]) throws -> String {
    let path = folder.file("in.safetensors")
    try writeCheckpoint(path, floats: [("layer.weight", [2, 3], values), ("bias", [6], values)])
    return path
  }

  /// Runs bonsai and checks the status, a one-line message containing `message`, and that
  /// no output file was left behind.
  func expectFailure(
    _ arguments: [String], status: Int32, message: String, folder: TemporaryDirectory,
    sourceLocation: SourceLocation = #_sourceLocation
  ) throws {
    let before = try folder.entries()
    let result = try BonsaiProcess.run(arguments)
    #expect(result.status == status, "\(result.standardError)", sourceLocation: sourceLocation)
    #expect(result.standardError.contains(message), "\(result.standardError)", sourceLocation: sourceLocation)
    let lines = result.standardError.split(separator: "\n", omittingEmptySubsequences: false)
    #expect(lines.count == 2 && lines[1].isEmpty, "one line: \(result.standardError)", sourceLocation: sourceLocation)
    #expect(result.standardError.hasPrefix("bonsai: error: "), sourceLocation: sourceLocation)
    #expect(try folder.entries() == before, "no file left behind", sourceLocation: sourceLocation)
  }

  @Test func missingInput() throws {
    let folder = try TemporaryDirectory()
    try expectFailure(
      ["prune", folder.file("nope.safetensors"), "-o", folder.file("o.safetensors")],
      status: 1,
      message: "\(folder.file("nope.safetensors")): cannot open for reading: No such file",
      folder: folder)
  }

  @Test func malformedInput() throws {
    let folder = try TemporaryDirectory()
    let path = folder.file("bad.safetensors")
    try Data([0xFF, 0, 0, 0, 0, 0, 0, 0, 0x7B]).write(to: URL(fileURLWithPath: path))
    let message = "\(path): header length 255 runs past the end of the file"
    try expectFailure(["prune", path, "-o", folder.file("o.safetensors")], status: 1, message: message, folder: folder)
    try expectFailure(["report", path], status: 1, message: message, folder: folder)
  }

  @Test func unwritableOutput() throws {
    let folder = try TemporaryDirectory()
    let input = try modelFile(folder)
    try expectFailure(
      ["prune", input, "-o", folder.file("missing-folder/o.safetensors")], status: 1,
      message: "missing-folder/o.safetensors: cannot create a temporary file in its directory",
      folder: folder)
  }

  @Test func sameInputAndOutput() throws {
    let folder = try TemporaryDirectory()
    let input = try modelFile(folder)
    let bytes = try Data(contentsOf: URL(fileURLWithPath: input))
    try expectFailure(["prune", input, "-o", input], status: 64, message: "is the input", folder: folder)
    #expect(try Data(contentsOf: URL(fileURLWithPath: input)) == bytes)
  }

  @Test(arguments: [
    (["--sparsity", "1"], "--sparsity"), (["--sparsity=-0.1"], "--sparsity"),
    (["--sparsity", "nan"], "--sparsity"), (["--metric", "l3"], "l3"),
    (["--granularity", "blocks"], "blocks"), (["--include", "("], "--include"),
    (["--min-nonzero", "-1"], "--min-nonzero -1 is negative"), (["--threads", "0"], "--threads"),
    (["--sparsity", "-0.1"], "--sparsity -0.1 is out of range"),
    (["--threads", "-2"], "--threads -2 must be at least 1"),
    (["--seed", "7"], "--seed 7 is used by --metric random only, not l1"),
    (["--seed", "7", "--metric", "l2"], "--seed 7 is used by --metric random only"),
    (["--block-pooling", "max"], "--block-pooling max is used by --granularity block:RxC only"),
    (["--block-pooling", "mean", "--granularity", "rows"], "not rows"),
    (["--granularity", "1:3", "--min-nonzero", "2"], "--min-nonzero 2 cannot be combined with --granularity 1:3"),
    (["--dry-run", "--no-sync"], "--no-sync has no effect with --dry-run"),
    (["--dry-run", "--threads", "2"], "--threads 2 has no effect with --dry-run"),
    (["--exclude", "self_atn"], "--exclude \"self_atn\" matches no tensor of"),
  ])
  func invalidOptions(options: [String], message: String) throws {
    let folder = try TemporaryDirectory()
    let input = try modelFile(folder)
    try expectFailure(["prune", input, "-o", folder.file("o.safetensors")] + options, status: 64, message: message, folder: folder)
  }

  @Test func structuredOnAVector() throws {
    let folder = try TemporaryDirectory()
    let input = try modelFile(folder)
    try expectFailure(
      ["prune", input, "-o", folder.file("o.safetensors"), "--include", "bias", "--granularity", "rows"],
      status: 64, message: "\"bias\" has shape [6]", folder: folder)
  }

  @Test func minNonzeroAboveATensor() throws {
    let folder = try TemporaryDirectory()
    let input = try modelFile(folder)
    try expectFailure(
      ["prune", input, "-o", folder.file("o.safetensors"), "--min-nonzero", "7"],
      status: 64, message: "--min-nonzero 7", folder: folder)
  }

  @Test func nonFiniteWeights() throws {
    let folder = try TemporaryDirectory()
    let input = try modelFile(folder, values: [1, .nan, 3, .infinity, 5, 6])
    try expectFailure(
      ["prune", input, "-o", folder.file("o.safetensors")], status: 1,
      message: "tensor \"layer.weight\": 2 non-finite weights", folder: folder)
  }
}
