import Foundation
import SafeTensors
import Testing
import TestSupport

@Suite("bonsai prune, report and demo through the built binary")
struct PruneCommandTests {
  /// A checkpoint with one selected matrix, one embedding, one vector and an I64 tensor.
  func checkpoint(in folder: TemporaryDirectory) throws -> String {
    let path = folder.file("model.safetensors")
    var generator = SeededGenerator(seed: 11)
    try writeCheckpoint(
      path,
      floats: [
        ("layers.0.mlp.up_proj.weight", [8, 16], generator.floats(128)),
        ("model.embed_tokens.weight", [10, 4], generator.floats(40)),
        ("layers.0.norm.weight", [16], generator.floats(16)),
      ],
      raw: [("position_ids", .i64, [3], Array(repeating: 1, count: 24))])
    return path
  }

  @Test func prunesTheDefaultSelectionExactly() throws {
    let folder = try TemporaryDirectory()
    let input = try checkpoint(in: folder)
    let inputBytes = try Data(contentsOf: URL(fileURLWithPath: input))
    let output = folder.file("pruned.safetensors")
    let result = try BonsaiProcess.run(["prune", input, "-o", output, "--sparsity", "0.25"])
    #expect(result.status == 0, "\(result.standardError)")
    #expect(result.standardOutput.contains("prune  layers.0.mlp.up_proj.weight"))
    #expect(result.standardOutput.contains("skip   model.embed_tokens.weight: name contains \"embed\""))
    #expect(result.standardOutput.contains("skip   layers.0.norm.weight: rank 1"))
    #expect(result.standardOutput.contains("skip   position_ids: dtype I64"))
    #expect(try Data(contentsOf: URL(fileURLWithPath: input)) == inputBytes, "input untouched")

    let before = try readFloats(input, "layers.0.mlp.up_proj.weight")
    let after = try readFloats(output, "layers.0.mlp.up_proj.weight")
    let k = 32
    let order = before.indices.sorted { (abs(before[$0]), $0) < (abs(before[$1]), $1) }
    for (rank, index) in order.enumerated() {
      if rank < k {
        #expect(after[index].bitPattern == 0)
      } else {
        #expect(after[index].bitPattern == before[index].bitPattern)
      }
    }
    #expect(try readFloats(output, "model.embed_tokens.weight") == readFloats(input, "model.embed_tokens.weight"))
    let file = try SafeTensorsFile(path: output)
    #expect(file.metadata["owner"] == "test")
    #expect(file.metadata["bonsai.sparsity"] == "0.25")
    #expect(file.metadata["bonsai.method"] == "l1 unstructured")
    #expect(try folder.entries() == ["model.safetensors", "pruned.safetensors"], "no temporary files left")
  }

  @Test func writesTheJSONReport() throws {
    let folder = try TemporaryDirectory()
    let input = try checkpoint(in: folder)
    let report = folder.file("report.json")
    let result = try BonsaiProcess.run([
      "prune", input, "-o", folder.file("out.safetensors"), "--granularity", "rows",
      "--metric", "l2", "--sparsity", "0.5", "--report", report, "--quiet",
    ])
    #expect(result.status == 0, "\(result.standardError)")
    #expect(result.standardOutput.isEmpty, "--quiet prints nothing")
    let json = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report)))
        as? [String: Any])
    #expect(json["total_params"] as? Int == 128 + 40 + 16 + 3)
    #expect(json["total_nonzero"] as? Int == 64 + 40 + 16 + 3)
    let tensors = try #require(json["tensors"] as? [[String: Any]])
    #expect(tensors.count == 4)
    let up = try #require(tensors.first { $0["name"] as? String == "layers.0.mlp.up_proj.weight" })
    #expect(up["pruned"] as? Bool == true)
    #expect(up["dtype"] as? String == "F32")
    #expect(up["shape"] as? [Int] == [8, 16])
    #expect(up["nonzero_params"] as? Int == 64)
    #expect(up["sparsity"] as? Double == 0.5)
    let config = try #require(json["config"] as? [String: Any])
    #expect(config["granularity"] as? String == "rows")
    #expect(config["metric"] as? String == "l2")
  }

  /// `--no-sync` changes when the bytes reach the disk, never which bytes are written.
  @Test func noSyncWritesTheSameBytes() throws {
    let folder = try TemporaryDirectory()
    let input = try checkpoint(in: folder)
    let synced = folder.file("synced.safetensors")
    let unsynced = folder.file("unsynced.safetensors")
    #expect(try BonsaiProcess.run(["prune", input, "-o", synced, "--quiet"]).status == 0)
    let result = try BonsaiProcess.run(["prune", input, "-o", unsynced, "--quiet", "--no-sync"])
    #expect(result.status == 0, "\(result.standardError)")
    #expect(try Data(contentsOf: URL(fileURLWithPath: unsynced)) == Data(contentsOf: URL(fileURLWithPath: synced)))
    #expect(try folder.entries() == ["model.safetensors", "synced.safetensors", "unsynced.safetensors"])
  }

  @Test func dryRunWritesNothing() throws {
    let folder = try TemporaryDirectory()
    let input = try checkpoint(in: folder)
    let result = try BonsaiProcess.run(["prune", input, "--dry-run", "--include", "norm", "--exclude", "embed"])
    #expect(result.status == 0, "\(result.standardError)")
    #expect(result.standardOutput.contains("prune  layers.0.norm.weight"))
    #expect(result.standardOutput.contains("skip   layers.0.mlp.up_proj.weight: matches no --include pattern"))
    #expect(try folder.entries() == ["model.safetensors"])
  }

  @Test func reportPrintsStatistics() throws {
    let folder = try TemporaryDirectory()
    let input = folder.file("m.safetensors")
    try writeCheckpoint(input, floats: [("w", [2, 2], [0, -1, 2, -3])])
    let result = try BonsaiProcess.run(["report", input, "--json"])
    #expect(result.status == 0, "\(result.standardError)")
    let json = try #require(try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any])
    let tensor = try #require((json["tensors"] as? [[String: Any]])?.first)
    #expect(tensor["nonzero_params"] as? Int == 3)
    let magnitude = try #require(tensor["magnitude"] as? [String: Any])
    #expect(magnitude["median"] as? Double == 1.5)
    #expect(magnitude["mean"] as? Double == 1.5)
    #expect(magnitude["max"] as? Double == 3)
    let text = try BonsaiProcess.run(["report", input])
    #expect(text.standardOutput.contains("25.00%"))
  }

  @Test func demoRuns() throws {
    let folder = try TemporaryDirectory()
    let kept = folder.file("new/demo")
    let result = try BonsaiProcess.run(["demo", "--sparsity", "0.5", "--folder", kept])
    #expect(FileManager.default.fileExists(atPath: kept + "/example-pruned.safetensors"))
    #expect(result.status == 0, "\(result.standardError)")
    for metric in ["l1", "l2", "taylor", "random"] { #expect(result.standardOutput.contains(metric)) }
    #expect(result.standardOutput.contains("$ bonsai prune"))
    #expect(result.standardOutput.contains("$ bonsai report"))
  }
}

@Suite("progress display")
struct ProgressTests {
  @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script"), "needs script(1) for a terminal"))
  func barOnATerminalLinesOtherwise() throws {
    let folder = try TemporaryDirectory()
    let input = folder.file("m.safetensors")
    try writeCheckpoint(input, floats: [("a.weight", [4, 4], Array(repeating: 1, count: 16)), ("b", [2], [1, 2])])
    // Under script(1) the command's stderr is a terminal: a bar redrawn with carriage returns.
    let command = "\(BonsaiProcess.binary) prune \(input) -o \(folder.file("o.safetensors"))"
    let terminal = Process()
    terminal.executableURL = URL(fileURLWithPath: "/usr/bin/script")
    terminal.arguments = ["-qec", command, "/dev/null"]
    let output = Pipe()
    terminal.standardOutput = output
    try terminal.run()
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    terminal.waitUntilExit()
    #expect(terminal.terminationStatus == 0, "\(text)")
    #expect(text.contains("\r[") && text.contains("2/2 tensors"), "\(text)")
    // Without a terminal: one plain line per tensor.
    let plain = try BonsaiProcess.run(["prune", input, "-o", folder.file("p.safetensors")])
    #expect(plain.standardError == "[1/2] pruned a.weight\n[2/2] copied b\n")
  }
}
