import Foundation
import SafeTensors
import Testing
import TestSupport

/// The methods beyond the reference through the built binary: each flag's output checked
/// against the independent reference, and its JSON report.
@Suite("bonsai prune: N:M, blocks, per-row, global, Wanda, Taylor, iterative, compaction")
struct MethodCommandTests {
  /// Two F32 matrices and one F16 matrix (rows of 8), plus a copied vector.
  func checkpoint(_ folder: TemporaryDirectory, seed: UInt64 = 5) throws -> String {
    let path = folder.file("model.safetensors")
    var generator = SeededGenerator(seed: seed)
    try writeCheckpoint(
      path,
      floats: [
        ("a.weight", [6, 8], generator.floats(48)),
        ("b.weight", [4, 16], generator.floats(64).map { ($0 * 4).rounded() / 4 }),
        ("norm.weight", [8], generator.floats(8)),
      ],
      raw: [("c.weight", .f16, [5, 8], halfBytes(generator.floats(40)))])
    return path
  }

  /// Runs `bonsai prune` with `options` and a report; returns the report's tensors by name.
  func prune(_ input: String, to output: String, _ options: [String]) throws -> [String: [String: Any]] {
    let report = output + ".json"
    let result = try BonsaiProcess.run(["prune", input, "-o", output, "--report", report, "--quiet"] + options)
    #expect(result.status == 0, "\(options): \(result.standardError)")
    let json = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report))) as? [String: Any])
    let tensors = try #require(json["tensors"] as? [[String: Any]])
    return Dictionary(uniqueKeysWithValues: tensors.map { ($0["name"] as? String ?? "", $0) })
  }

  /// Whether tensor `name` of `output` is the input's with exactly the `pruned` elements
  /// zeroed.
  func isPruned(_ input: String, _ output: String, _ name: String, as pruned: [Bool]) throws -> Bool {
    let (before, after) = (try readWidened(input, name), try readWidened(output, name))
    return before.count == pruned.count
      && after == zip(before, pruned).map { value, isPruned in isPruned ? 0 : value }
  }

  @Test func semiStructuredKeepsNOfEveryM() throws {
    let folder = try TemporaryDirectory()
    let input = try checkpoint(folder)
    for pattern in [(2, 4), (1, 4), (3, 8)] {
      let output = folder.file("nm\(pattern.0)\(pattern.1).safetensors")
      let report = try prune(input, to: output, ["--granularity", "\(pattern.0):\(pattern.1)"])
      for (name, rows) in [("a.weight", 6), ("b.weight", 4), ("c.weight", 5)] {
        let weights = try readWidened(input, name)
        let expected = ReferenceMethods.nOfMPruned(
          scores: weights.map { abs($0) }, rows: rows, columns: weights.count / rows,
          keep: pattern.0, of: pattern.1)
        #expect(try isPruned(input, output, name, as: expected), "\(name) \(pattern)")
        let entry = try #require(report[name])
        let check = try #require(entry["pattern"] as? [String: Any])
        #expect(check["keep"] as? Int == pattern.0 && check["of"] as? Int == pattern.1)
        #expect(check["satisfied"] as? Bool == true)
        #expect(entry["method"] as? String == "l1 \(pattern.0):\(pattern.1)")
      }
    }
  }

  @Test func semiStructuredUsageErrors() throws {
    let folder = try TemporaryDirectory()
    let input = try checkpoint(folder)
    let output = folder.file("o.safetensors")
    for (options, message) in [
      (["--granularity", "2:4", "--sparsity", "0.3"], "--sparsity 0.3 cannot be combined with --granularity 2:4"),
      (["--granularity", "4:4"], "--granularity"),
      (["--granularity", "0:4"], "--granularity"),
      (["--granularity", "block:0x4"], "--granularity"),
      (["--granularity", "3:5"], "tensor \"a.weight\" has rows of 8 weights, not a multiple of 5"),
      (["--per-row", "--granularity", "rows"], "--per-row ranks single weights"),
      (["--granularity", "2:4", "--iterative", "total"], "--iterative total cannot be combined with --granularity 2:4"),
      (["--per-row", "--scope", "global"], "--per-row and --scope global cannot be combined"),
      (["--compact"], "--compact removes whole rows or columns"),
    ] {
      let result = try BonsaiProcess.run(["prune", input, "-o", output] + options)
      #expect(result.status == 64, "\(options)")
      #expect(result.standardError.contains(message), "\(options): \(result.standardError)")
      #expect(!FileManager.default.fileExists(atPath: output))
    }
  }

  @Test func blocksPoolTheirElementScores() throws {
    let folder = try TemporaryDirectory()
    let input = try checkpoint(folder)
    for pooling in [ReferenceBlockPooling.mean, .max] {
      let output = folder.file("blocks-\(pooling).safetensors")
      _ = try prune(input, to: output, [
        "--granularity", "block:4x3", "--block-pooling", pooling == .mean ? "mean" : "max",
        "--metric", "l2", "--sparsity", "0.5",
      ])
      for (name, rows) in [("a.weight", 6), ("c.weight", 5)] {
        let weights = try readWidened(input, name)
        let expected = ReferenceMethods.blockPruned(
          elementScores: weights.map { $0 * $0 }, rows: rows, columns: 8, blockRows: 4,
          blockColumns: 3, pooling: pooling, sparsity: 0.5, minNonzero: 1)
        #expect(try isPruned(input, output, name, as: expected), "\(name) \(pooling)")
      }
    }
  }

  @Test func perRowPrunesEveryRowAlike() throws {
    let folder = try TemporaryDirectory()
    let input = try checkpoint(folder)
    let output = folder.file("o.safetensors")
    let report = try prune(input, to: output, ["--per-row", "--sparsity", "0.4"])
    for (name, rows) in [("a.weight", 6), ("b.weight", 4), ("c.weight", 5)] {
      let weights = try readWidened(input, name)
      let expected = ReferenceMethods.perRowPruned(
        scores: weights.map { abs($0) }, rows: rows, columns: weights.count / rows,
        sparsity: 0.4, minNonzero: 1)
      #expect(try isPruned(input, output, name, as: expected), "\(name)")
      #expect(report[name]?["method"] as? String == "l1 unstructured per-row")
    }
  }

  @Test func globalScopeRanksTheUnion() throws {
    let folder = try TemporaryDirectory()
    let input = try checkpoint(folder)
    let output = folder.file("o.safetensors")
    let names = ["a.weight", "b.weight", "c.weight"]
    let report = try prune(input, to: output, ["--scope", "global", "--sparsity", "0.6"])
    let scores = try names.map { try readWidened(input, $0).map { abs($0) } }
    let expected = ReferenceMethods.globalPruned(scores: scores, sparsity: 0.6, minNonzero: 1)
    for (index, name) in names.enumerated() {
      #expect(try isPruned(input, output, name, as: expected[index]), "\(name)")
    }
    let pruned = names.reduce(0) { $0 + ((report[$1]?["total_params"] as? Int ?? 0) - (report[$1]?["nonzero_params"] as? Int ?? 0)) }
    #expect(pruned == Int((0.6 * 152).rounded(.down)))
    #expect(report["a.weight"]?["method"] as? String == "l1 unstructured global")
  }

  @Test func wandaScoresWithActivationNormsOrCalibrationInputs() throws {
    let folder = try TemporaryDirectory()
    let input = try checkpoint(folder)
    var generator = SeededGenerator(seed: 9)
    let normsA = generator.floats(8).map { abs($0) + 0.1 }
    let samplesB = generator.floats(3 * 16)
    let normsC = generator.floats(8).map { abs($0) }
    let activations = folder.file("activations.safetensors")
    try writeCheckpoint(
      activations,
      floats: [("a.weight", [8], normsA), ("b.weight", [3, 16], samplesB), ("c.weight", [8], normsC)])
    let output = folder.file("o.safetensors")
    let report = try prune(
      input, to: output, ["--metric", "wanda", "--activations", activations, "--per-row", "--sparsity", "0.5"])
    let normsB = ReferenceMethods.columnNorms(samples: samplesB, rows: 3, columns: 16)
    for (name, rows, norms) in [("a.weight", 6, normsA), ("b.weight", 4, normsB), ("c.weight", 5, normsC)] {
      let weights = try readWidened(input, name)
      let columns = weights.count / rows
      let scores = ReferenceMethods.wandaScores(weights: weights, columns: columns, inputNorms: norms)
      let expected = ReferenceMethods.perRowPruned(
        scores: scores, rows: rows, columns: columns, sparsity: 0.5, minNonzero: 1)
      #expect(try isPruned(input, output, name, as: expected), "\(name)")
      #expect((report[name]?["score_source"] as? String)?.hasPrefix("activations") == true)
    }
    // A weight without activations is an error naming it and the file, unless excluded.
    let partial = folder.file("partial.safetensors")
    try writeCheckpoint(partial, floats: [("a.weight", [8], normsA)])
    let missing = try BonsaiProcess.run([
      "prune", input, "-o", output + "2", "--metric", "wanda", "--activations", partial,
    ])
    #expect(missing.status == 64)
    #expect(missing.standardError.contains("--activations \(partial) has no tensor \"b.weight\""))
    let excluded = try BonsaiProcess.run([
      "prune", input, "-o", output + "3", "--metric", "wanda", "--activations", partial,
      "--exclude", "^[bc]\\.",
    ])
    #expect(excluded.status == 0, "\(excluded.standardError)")
    let noFile = try BonsaiProcess.run(["prune", input, "-o", output + "4", "--metric", "wanda"])
    #expect(noFile.status == 64 && noFile.standardError.contains("--metric wanda needs --activations"))
  }

  @Test func taylorUsesGradientsWhenGivenAndSaysSo() throws {
    let folder = try TemporaryDirectory()
    let input = try checkpoint(folder)
    var generator = SeededGenerator(seed: 21)
    let gradients = folder.file("gradients.safetensors")
    let gradientValues = [("a.weight", 6), ("b.weight", 4)].map { ($0.0, [$0.1, $0.0 == "a.weight" ? 8 : 16], generator.floats($0.1 * ($0.0 == "a.weight" ? 8 : 16))) }
    try writeCheckpoint(
      gradients, floats: gradientValues, raw: [("c.weight", .f16, [5, 8], halfBytes(generator.floats(40)))])
    let output = folder.file("o.safetensors")
    let report = try prune(input, to: output, ["--metric", "taylor", "--gradients", gradients, "--sparsity", "0.5"])
    for name in ["a.weight", "b.weight", "c.weight"] {
      let weights = try readWidened(input, name)
      let scores = ReferenceMethods.taylorScores(weights: weights, gradients: try readWidened(gradients, name))
      let expected = ReferencePruning.prunedBySorting(scores, k: weights.count / 2)
      #expect(try isPruned(input, output, name, as: expected), "\(name)")
      #expect((report[name]?["score_source"] as? String)?.hasPrefix("gradients") == true)
      #expect(report[name]?["method"] as? String == "taylor unstructured")
    }
    let proxy = try prune(input, to: folder.file("p.safetensors"), ["--metric", "taylor"])
    #expect(proxy["a.weight"]?["score_source"] as? String == "proxy w² (no gradients)")
    #expect(proxy["a.weight"]?["method"] as? String == "taylor-proxy unstructured")
    let wrongShape = folder.file("wrong.safetensors")
    try writeCheckpoint(wrongShape, floats: [("a.weight", [8, 6], generator.floats(48))])
    let result = try BonsaiProcess.run([
      "prune", input, "-o", folder.file("w.safetensors"), "--metric", "taylor", "--gradients", wrongShape,
      "--include", "^a\\.",
    ])
    #expect(result.status == 64)
    #expect(result.standardError.contains("tensor \"a.weight\" has shape [8, 6], but the weight has [6, 8]"))
  }

  @Test func iterativeRoundsCountZerosAsPruned() throws {
    let folder = try TemporaryDirectory()
    let input = folder.file("m.safetensors")
    var generator = SeededGenerator(seed: 33)
    try writeCheckpoint(input, floats: [("w.weight", [10, 10], generator.floats(100))])
    let first = folder.file("r1.safetensors")
    let second = folder.file("r2.safetensors")
    _ = try prune(input, to: first, ["--sparsity", "0.2", "--iterative", "remaining"])
    let report = try prune(first, to: second, ["--sparsity", "0.2", "--iterative", "remaining", "--metric", "random", "--seed", "4"])
    #expect(report["w.weight"]?["nonzero_params"] as? Int == 64, "0.2 of 100, then 0.2 of the 80 left")
    let weights = try readWidened(first, "w.weight")
    let expected = ReferenceMethods.iterativePruned(
      weights: weights, scores: ReferencePruningRandom.scores(seed: 4, count: 100), sparsity: 0.2,
      mode: .remaining)
    #expect(try readWidened(second, "w.weight").map { $0 == 0 } == expected)
    let total = try prune(first, to: folder.file("t.safetensors"), ["--sparsity", "0.1", "--iterative", "total"])
    #expect(total["w.weight"]?["nonzero_params"] as? Int == 80, "already past 10%: nothing more")
  }

  @Test func compactionRemovesRowsAndListsThem() throws {
    let folder = try TemporaryDirectory()
    let input = try checkpoint(folder)
    let output = folder.file("o.safetensors")
    let report = try prune(input, to: output, ["--granularity", "rows", "--metric", "l2", "--compact", "--sparsity", "0.5"])
    let file = try SafeTensorsFile(path: output)
    for (name, rows, columns) in [("a.weight", 6, 8), ("b.weight", 4, 16), ("c.weight", 5, 8)] {
      let weights = try readWidened(input, name)
      let norms = (0 ..< rows).map { row in
        Float((0 ..< columns).reduce(0.0) { $0 + Double(weights[row * columns + $1]) * Double(weights[row * columns + $1]) }.squareRoot())
      }
      let pruned = ReferencePruning.prunedBySorting(norms, k: rows / 2)
      let kept = (0 ..< rows).filter { !pruned[$0] }
      #expect(report[name]?["kept_rows"] as? [Int] == kept, "\(name)")
      #expect(report[name]?["output_shape"] as? [Int] == [kept.count, columns])
      #expect(file.tensor(named: name)?.shape == [kept.count, columns])
      let expected = kept.flatMap { row in weights[row * columns ..< (row + 1) * columns] }
      #expect(try readWidened(output, name) == expected)
    }
    #expect(try readWidened(output, "norm.weight") == readWidened(input, "norm.weight"))

    // Columns: the kept columns of every row, in order, F16 included.
    let columnsOutput = folder.file("columns.safetensors")
    let columnsReport = try prune(
      input, to: columnsOutput, ["--granularity", "columns", "--compact", "--sparsity", "0.25"])
    for (name, rows, columns) in [("a.weight", 6, 8), ("c.weight", 5, 8)] {
      let weights = try readWidened(input, name)
      let sums = (0 ..< columns).map { column in
        Float((0 ..< rows).reduce(0.0) { $0 + Double(abs(weights[$1 * columns + column])) })
      }
      let pruned = ReferencePruning.prunedBySorting(sums, k: columns / 4)
      let kept = (0 ..< columns).filter { !pruned[$0] }
      #expect(columnsReport[name]?["kept_columns"] as? [Int] == kept, "\(name)")
      let expected = (0 ..< rows).flatMap { row in kept.map { weights[row * columns + $0] } }
      #expect(try readWidened(columnsOutput, name) == expected, "\(name)")
    }
  }

  @Test func pairedChannelsComposeAfterCompaction() throws {
    let folder = try TemporaryDirectory()
    let input = folder.file("mlp.safetensors")
    var generator = SeededGenerator(seed: 44)
    let (channels, width) = (12, 6)
    try writeCheckpoint(
      input,
      floats: [
        ("l0.mlp.up_proj.weight", [channels, width], generator.floats(channels * width)),
        ("l0.mlp.up_proj.bias", [channels], generator.floats(channels)),
        ("l0.mlp.gate_proj.weight", [channels, width], generator.floats(channels * width)),
        ("l0.mlp.down_proj.weight", [width, channels], generator.floats(width * channels)),
      ])
    let rule = "(.*)\\.mlp\\.(up|gate)_proj\\.(weight|bias)->$1.mlp.down_proj.weight"
    let zeroed = folder.file("zeroed.safetensors")
    let compacted = folder.file("compacted.safetensors")
    _ = try prune(input, to: zeroed, ["--pair", rule, "--metric", "l2", "--sparsity", "0.25"])
    let report = try prune(input, to: compacted, ["--pair", rule, "--metric", "l2", "--sparsity", "0.25", "--compact"])
    let kept = try #require(report["l0.mlp.down_proj.weight"]?["kept_columns"] as? [Int])
    #expect(kept.count == channels - 3)
    #expect(report["l0.mlp.up_proj.weight"]?["kept_rows"] as? [Int] == kept)
    #expect(report["l0.mlp.up_proj.bias"]?["kept_rows"] as? [Int] == kept)
    #expect(report["l0.mlp.gate_proj.weight"]?["output_shape"] as? [Int] == [kept.count, width])
    // The same function before and after compaction: down · (relu(up·x + b) ⊙ (gate·x)).
    func mlp(_ path: String, _ x: [Double]) throws -> [Double] {
      let up = try readWidened(path, "l0.mlp.up_proj.weight")
      let bias = try readWidened(path, "l0.mlp.up_proj.bias")
      let gate = try readWidened(path, "l0.mlp.gate_proj.weight")
      let down = try readWidened(path, "l0.mlp.down_proj.weight")
      let hiddenCount = bias.count
      let upX = ReferenceMethods.matrixVector(up, rows: hiddenCount, columns: width, x)
      let gateX = ReferenceMethods.matrixVector(gate, rows: hiddenCount, columns: width, x)
      let hidden = (0 ..< hiddenCount).map { max(0, upX[$0] + Double(bias[$0])) * gateX[$0] }
      return ReferenceMethods.matrixVector(down, rows: width, columns: hiddenCount, hidden)
    }
    let x = generator.floats(width).map(Double.init)
    #expect(try mlp(compacted, x) == mlp(zeroed, x))
    // The channel scores: the joint L2 norm over all three matrices (the bias only follows).
    let up = try readWidened(input, "l0.mlp.up_proj.weight")
    let gate = try readWidened(input, "l0.mlp.gate_proj.weight")
    let down = try readWidened(input, "l0.mlp.down_proj.weight")
    let scores = (0 ..< channels).map { channel in
      let rows = (0 ..< width).reduce(0.0) {
        $0 + Double(up[channel * width + $1]) * Double(up[channel * width + $1])
          + Double(gate[channel * width + $1]) * Double(gate[channel * width + $1])
      }
      let column = (0 ..< width).reduce(0.0) { $0 + Double(down[$1 * channels + channel]) * Double(down[$1 * channels + channel]) }
      return Float((rows + column).squareRoot())
    }
    let pruned = ReferencePruning.prunedBySorting(scores, k: 3)
    #expect(kept == (0 ..< channels).filter { !pruned[$0] })
    let excluded = try BonsaiProcess.run([
      "prune", input, "-o", folder.file("x.safetensors"), "--pair", rule, "--exclude", "down_proj",
    ])
    #expect(excluded.status == 64)
    #expect(excluded.standardError.contains("consumer \"l0.mlp.down_proj.weight\""))
    let pattern = try BonsaiProcess.run([
      "prune", input, "-o", folder.file("x.safetensors"), "--pair", rule, "--granularity", "2:4",
    ])
    #expect(pattern.status == 64)
    #expect(pattern.standardError.contains("--pair prunes whole channels by --sparsity"))
    let missing = try BonsaiProcess.run(["prune", input, "-o", folder.file("x.safetensors"), "--pair", "(.*)\\.up_proj\\.weight->$1.nowhere"])
    #expect(missing.status == 64)
    #expect(missing.standardError.contains("pairs with \"l0.mlp.nowhere\", which"))
  }
}

/// The LCG element scores, restated here for the iterative test.
enum ReferencePruningRandom {
  static func scores(seed: UInt64, count: Int) -> [Float] {
    var state = seed
    return (0 ..< count).map { _ in
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Float(UInt32(truncatingIfNeeded: state >> 32)) / 4_294_967_296
    }
  }
}

/// F16 bytes of `values`, little-endian.
func halfBytes(_ values: [Float]) -> [UInt8] {
  values.flatMap { value -> [UInt8] in
    let bits = Float16(value).bitPattern
    return [UInt8(bits & 0xFF), UInt8(bits >> 8)]
  }
}

/// The values of tensor `name` (F32 or F16) widened to `Float`.
func readWidened(_ path: String, _ name: String) throws -> [Float] {
  let file = try SafeTensorsFile(path: path)
  let info = try #require(file.tensor(named: name))
  return file.withBytes(of: info) { bytes in
    (0 ..< info.elementCount).map { index in
      info.dtype == .f16
        ? Float(Float16(bitPattern: bytes.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self)))
        : bytes.loadUnaligned(fromByteOffset: index * 4, as: Float.self)
    }
  }
}
