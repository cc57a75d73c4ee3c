import Foundation
import ModelFolders
import SafeTensors
import Testing
import TestSupport

/// `bonsai prune DIR -o OUTDIR` and `bonsai report DIR` on folders laid out as transformers
/// writes them: sharding never changes the answer, the output folder loads, bad folders are
/// refused with one line and nothing written.
@Suite("bonsai prune and report: model folders")
struct FolderCommandTests {
  static let pair = #"(.*)\.mlp\.(up|gate)_proj\.weight->$1.mlp.down_proj.weight"#

  /// Every tensor of a pruned folder (or file), by name: shape and bytes.
  func tensors(_ path: String) throws -> [String: ([Int], [UInt8])] {
    let checkpoint: ShardedCheckpoint
    if ModelFolder.isFolder(path) {
      checkpoint = try ModelFolder(path: path).checkpoint
    } else {
      checkpoint = ShardedCheckpoint(file: try SafeTensorsFile(path: path))
    }
    return Dictionary(
      uniqueKeysWithValues: checkpoint.tensors.map { info in
        (info.name, (info.shape, checkpoint.withBytes(of: info) { Array($0) }))
      })
  }

  /// Runs `bonsai` and expects success.
  @discardableResult
  func bonsai(_ arguments: [String]) throws -> ChildProcess.Result {
    let result = try BonsaiProcess.run(arguments)
    #expect(result.status == 0, "\(arguments): \(result.standardError)")
    return result
  }

  /// Activation norms for every matrix of the fixture, for Wanda.
  func activations(_ fixture: ModelFolderFixture, to path: String) throws {
    var generator = SeededGenerator(seed: 9)
    let matrices = fixture.tensors.filter { $0.shape.count == 2 }
    try writeCheckpoint(
      path, floats: matrices.map { ($0.name, [$0.shape[1]], generator.floats($0.shape[1], in: 0.1 ... 2)) })
  }

  @Test(
    "a sharded folder, a one-file folder and one file in reverse order give the same bits",
    arguments: [
      ["--sparsity", "0.5"],
      ["--scope", "global", "--sparsity", "0.6"],
      ["--scope", "global", "--metric", "random", "--seed", "3"],
      ["--granularity", "2:4"],
      ["--granularity", "rows", "--metric", "l2"],
      ["--pair", pair, "--granularity", "rows", "--compact", "--sparsity", "0.25"],
      ["--metric", "wanda", "--per-row"],
      ["--metric", "wanda", "--scope", "global"],
    ])
  func shardingNeverChangesTheAnswer(options: [String]) throws {
    let directory = try TemporaryDirectory()
    // Few distinct values: ties everywhere, so the global tie order is exercised.
    let fixture = ModelFolderFixture(distinct: 5)
    try fixture.writeFolder(directory.file("sharded"), shards: 3)
    try fixture.writeFolder(directory.file("whole"), shards: 1)
    try fixture.writeFile(directory.file("reversed.safetensors"), order: fixture.tensors.map(\.name).reversed())
    var extra = [String]()
    if options.contains("wanda") {
      try activations(fixture, to: directory.file("norms.safetensors"))
      extra = ["--activations", directory.file("norms.safetensors")]
    }
    for input in ["sharded", "whole", "reversed.safetensors"] {
      // Compacting every tensor by rows changes q/k/v/o's rows (hidden_size) but not the
      // embedding's: config.json cannot follow, which is beside the point here.
      let uneven = options.contains("--compact") && !input.hasSuffix(".safetensors") ? ["--allow-uneven"] : []
      try bonsai(["prune", directory.file(input), "-o", directory.file("out-" + input), "--quiet"] + options + extra + uneven)
    }
    let reference = try tensors(directory.file("out-reversed.safetensors"))
    #expect(reference.count == fixture.tensors.count)
    for folder in ["out-sharded", "out-whole"] {
      let pruned = try tensors(directory.file(folder))
      for (name, (shape, bytes)) in reference {
        #expect(pruned[name]?.0 == shape, "\(folder) \(name)")
        let same = pruned[name]?.1 == bytes
        #expect(same, "\(folder) \(name): bits differ")
      }
    }
  }

  @Test("activations given as a sharded folder, covering tensors of any shard, as from one file")
  func activationsFolder() throws {
    let directory = try TemporaryDirectory()
    let fixture = ModelFolderFixture()
    try fixture.writeFolder(directory.file("m"), shards: 3)
    try activations(fixture, to: directory.file("norms.safetensors"))
    let norms = try SafeTensorsFile(path: directory.file("norms.safetensors"))
    let folder = directory.file("norms")
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
    var weightMap = [String: String]()
    for (index, part) in [norms.tensors.filter { $0.name.contains("mlp") }, norms.tensors.filter { !$0.name.contains("mlp") }].enumerated() {
      let name = "norms-\(index).safetensors"
      try writeCheckpoint(
        "\(folder)/\(name)",
        floats: part.map { info in
          (info.name, info.shape, norms.withBytes(of: info) { Array($0.bindMemory(to: Float.self)) })
        })
      for info in part { weightMap[info.name] = name }
    }
    let index = try JSONSerialization.data(withJSONObject: ["metadata": [:], "weight_map": weightMap])
    try index.write(to: URL(fileURLWithPath: folder + "/model.safetensors.index.json"))
    for (source, output) in [("norms.safetensors", "from-file"), ("norms", "from-folder")] {
      try bonsai([
        "prune", directory.file("m"), "-o", directory.file(output), "--quiet", "--metric", "wanda",
        "--activations", directory.file(source),
      ])
    }
    let fromFile = try tensors(directory.file("from-file"))
    let fromFolder = try tensors(directory.file("from-folder"))
    #expect(fromFile.count == fixture.tensors.count)
    #expect(fromFile.allSatisfy { name, tensor in fromFolder[name]?.1 == tensor.1 })
  }

  @Test("the output folder: same shards and order, new total_size, config resized, the rest copied")
  func outputFolder() throws {
    let directory = try TemporaryDirectory()
    let fixture = ModelFolderFixture()
    let input = directory.file("model")
    let output = directory.file("pruned")
    try fixture.writeFolder(input, shards: 3)
    let result = try bonsai([
      "prune", input, "-o", output, "--pair", Self.pair, "--granularity", "rows", "--compact",
      "--include", "mlp", "--report", directory.file("report.json"),
    ])
    let report = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory.file("report.json"))))
        as? [String: Any])
    let reported = try #require(report["tensors"] as? [[String: Any]])
    #expect(reported.count == fixture.tensors.count, "the report lists every tensor")
    #expect(reported.last?["shard"] as? String == ModelFolderFixture.shardNames(3)[2])
    try FileManager.default.removeItem(atPath: directory.file("report.json"))
    #expect(result.standardOutput.contains("config.json: intermediate_size 16 → 8"))
    let row = result.standardOutput.split(separator: "\n").first { $0.hasPrefix("model.layers.*.mlp.up_proj.weight ×3 ") }
    #expect(row?.contains("[16, 8] → [8, 8]") == true && row?.hasSuffix("F32    0.00% → 50.00%") == true)
    #expect(!result.standardOutput.contains("model.layers.1."), "layers are folded")
    #expect(result.standardError.contains("shard 3/3 model-00003-of-00003.safetensors"))

    let original = try ModelFolder(path: input)
    let pruned = try ModelFolder(path: output)
    #expect(pruned.checkpoint.shards.map(\.name) == original.checkpoint.shards.map(\.name))
    #expect(pruned.checkpoint.tensors.map(\.name) == original.checkpoint.tensors.map(\.name))
    #expect(pruned.index?.weightMap == original.index?.weightMap)
    let index = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: output + "/model.safetensors.index.json")))
        as? [String: Any])
    let metadata = try #require(index["metadata"] as? [String: Any])
    #expect(metadata["total_size"] as? Int == pruned.checkpoint.tensors.reduce(0) { $0 + $1.byteCount })
    #expect(metadata["format"] as? String == "pt")
    #expect(pruned.config?.sizes["intermediate_size"] == 8)
    #expect(pruned.config?.sizes["hidden_size"] == 8)
    for file in ["generation_config.json", "tokenizer.json", "tokenizer_config.json", "1_Pooling/config.json"] {
      #expect(FileManager.default.contents(atPath: "\(output)/\(file)") == FileManager.default.contents(atPath: "\(input)/\(file)"))
    }
    #expect(pruned.otherEntries == original.otherEntries)
    #expect(try directory.entries() == ["model", "pruned"], "no temporary folder left")
  }

  @Test("a report written into the input folder is refused: the folder is never added to")
  func noReportInsideTheInput() throws {
    let directory = try TemporaryDirectory()
    try ModelFolderFixture().writeFolder(directory.file("m"), shards: 2)
    let before = try FileManager.default.contentsOfDirectory(atPath: directory.file("m")).sorted()
    for option in ["--report", "--report-html"] {
      let refused = try BonsaiProcess.run([
        "prune", directory.file("m"), "-o", directory.file("out"), option, directory.file("m/r"), "--quiet",
      ])
      #expect(refused.status == 64)
      #expect(refused.standardError.contains("is inside the input folder"), "\(refused.standardError)")
    }
    let report = try BonsaiProcess.run(["report", directory.file("m"), "--html", directory.file("m/r.html")])
    #expect(report.status == 64)
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory.file("m")).sorted() == before)
    #expect(try directory.entries() == ["m"])
  }

  @Test("folder outputs and shard steps never write over, into or around what the run reads")
  func foldersNeverWriteOverWhatIsRead() throws {
    let directory = try TemporaryDirectory()
    let model = directory.file("m")
    try ModelFolderFixture().writeFolder(model, shards: 2)
    try FileManager.default.createDirectory(atPath: directory.file("a"), withIntermediateDirectories: false)
    try writeCheckpoint(directory.file("a/acts.safetensors"), floats: [("x", [1], [1])])
    try Data("precious".utf8).write(to: URL(fileURLWithPath: directory.file("notes.txt")))
    let shard = try #require(
      try FileManager.default.contentsOfDirectory(atPath: model).sorted().first { $0.hasSuffix(".safetensors") })
    let refusals: [([String], String)] = [
      (["prune", model, "-o", directory.file("a"), "--replace", "--metric", "wanda", "--activations",
        directory.file("a/acts.safetensors")], "holds the --activations"),
      (["prune", model, "-o", directory.file("notes.txt"), "--replace"], "is not a folder"),
      (["prune", model, "-o", directory.file("out"), "--report", directory.file("out")], "is the -o folder or inside it"),
      (["prune", model, "-o", directory.file("out"), "--report", directory.file("out/r.json")], "is the -o folder or inside it"),
      (["shards", "prune", "--shard", shard, "--into", model, model, "-o", directory.file("out")], "inside the input folder"),
      (["shards", "finish", "--from", model, model, "-o", directory.file("out")], "--from \(model) is the input folder"),
      (["shards", "count", "--shard", shard, "-o", model + "/config.json", model, "-o", directory.file("out"),
        "--scope", "global"], "inside the input folder"),
      (["shards", "prune", "--shard", shard, "--into", directory.file("i"), model, "-o", directory.file("out"),
        "--dry-run"], "--dry-run"),
    ]
    let before = try FileManager.default.contentsOfDirectory(atPath: model).sorted()
    for (arguments, message) in refusals {
      let result = try BonsaiProcess.run(arguments + ["--quiet"])
      #expect(result.status == 64, "\(arguments)")
      #expect(result.standardError.contains(message), "\(arguments): \(result.standardError)")
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: model).sorted() == before)
    #expect(try directory.entries().sorted() == ["a", "m", "notes.txt"])
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory.file("a")) == ["acts.safetensors"])
    #expect(try String(contentsOfFile: directory.file("notes.txt"), encoding: .utf8) == "precious")
  }

  @Test("report DIR: one line per pattern, every tensor with --verbose and in JSON")
  func report() throws {
    let directory = try TemporaryDirectory()
    let fixture = ModelFolderFixture()
    try fixture.writeFolder(directory.path + "/m", shards: 2)
    let text = try bonsai(["report", directory.file("m")]).standardOutput
    let line = text.split(separator: "\n").first { $0.hasPrefix("model.layers.*.self_attn.q_proj.weight ×3 ") }
    #expect(line?.split(separator: " ", omittingEmptySubsequences: true).dropFirst(2).prefix(3) == ["[8,", "8]", "F32"])
    #expect(text.contains("\(fixture.tensors.count) tensors"))
    let verbose = try bonsai(["report", directory.file("m"), "--verbose"]).standardOutput
    #expect(verbose.contains("model.layers.2.self_attn.q_proj.weight"))
    let json = try bonsai(["report", directory.file("m"), "--json"]).standardOutput
    let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    let tensors = try #require(object["tensors"] as? [[String: Any]])
    #expect(tensors.count == fixture.tensors.count)
    #expect(tensors.last?["shard"] as? String == ModelFolderFixture.shardNames(2)[1])
  }

  @Test("an existing output is refused, or replaced whole with --replace; leftovers of dead runs removed")
  func replace() throws {
    let directory = try TemporaryDirectory()
    try ModelFolderFixture().writeFolder(directory.file("m"), shards: 2)
    try FileManager.default.createDirectory(atPath: directory.file("out"), withIntermediateDirectories: false)
    try Data("old".utf8).write(to: URL(fileURLWithPath: directory.file("out/old.txt")))
    let refused = try BonsaiProcess.run(["prune", directory.file("m"), "-o", directory.file("out"), "--quiet"])
    #expect(refused.status == 64)
    #expect(refused.standardError == "bonsai: error: output \(directory.file("out")) exists: pass --replace to replace it\n")

    let finished = Process()
    finished.executableURL = URL(fileURLWithPath: "/bin/true")
    try finished.run()
    finished.waitUntilExit()
    let dead = ".out\(TemporaryName.marker)\(finished.processIdentifier)-00000000000a1b2c"
    try FileManager.default.createDirectory(atPath: directory.file(dead + "/inner"), withIntermediateDirectories: true)
    try Data().write(to: URL(fileURLWithPath: directory.file(dead + "/" + FolderOutput.inProgressMarker)))

    let replaced = try bonsai(["prune", directory.file("m"), "-o", directory.file("out"), "--replace", "--quiet"])
    #expect(replaced.standardError.contains("removed \(directory.file(dead))"))
    #expect(try directory.entries() == ["m", "out"])
    #expect(!FileManager.default.fileExists(atPath: directory.file("out/old.txt")))
    #expect(FileManager.default.fileExists(atPath: directory.file("out/model.safetensors.index.json")))
  }

  @Test("compaction that leaves layers uneven: a usage error naming them, unless --allow-uneven")
  func unevenCompaction() throws {
    let directory = try TemporaryDirectory()
    try ModelFolderFixture().writeFolder(directory.file("m"), shards: 2)
    let options = [
      "--pair", Self.pair, "--granularity", "rows", "--compact", "--include", "mlp", "--exclude", #"layers\.0\."#,
    ]
    let refused = try BonsaiProcess.run(["prune", directory.file("m"), "-o", directory.file("out"), "--quiet"] + options)
    #expect(refused.status == 64)
    #expect(refused.standardError.contains("intermediate_size 16 would differ between layers"))
    #expect(refused.standardError.contains("model.layers.[0].mlp.gate_proj.weight"))
    #expect(refused.standardError.contains("keep 8"))
    #expect(refused.standardError.split(separator: "\n").count == 1)
    #expect(try directory.entries() == ["m"])

    try bonsai(["prune", directory.file("m"), "-o", directory.file("out"), "--quiet", "--allow-uneven"] + options)
    #expect(FileManager.default.contents(atPath: directory.file("out/config.json")) == FileManager.default.contents(atPath: directory.file("m/config.json")))
  }

  /// Bad folders and paths: one line on stderr, the exit status, nothing written.
  @Test("bad input folders and output paths", arguments: [
    ("pytorch only", "no safetensors weights (found pytorch_model.bin)", Int32(1)),
    ("missing shard", "which does not exist", 1),
    ("two shards", "is stored twice", 1),
    ("unlisted", "does not list it", 1),
    ("index not JSON", "not valid JSON", 1),
    ("output is input", "is the input folder", 64),
    ("output inside input", "is inside the input folder", 64),
    ("output named as a file", "a model folder is pruned into a folder", 64),
  ])
  func badInput(problem: String, message: String, status: Int32) throws {
    let directory = try TemporaryDirectory()
    let fixture = ModelFolderFixture()
    let input = directory.file("m")
    var output = directory.file("out")
    try fixture.writeFolder(input, shards: 2)
    let names = ModelFolderFixture.shardNames(2)
    switch problem {
    case "pytorch only":
      for name in names + ["model.safetensors.index.json"] { try FileManager.default.removeItem(atPath: "\(input)/\(name)") }
      try Data("x".utf8).write(to: URL(fileURLWithPath: input + "/pytorch_model.bin"))
    case "missing shard":
      try FileManager.default.removeItem(atPath: "\(input)/\(names[1])")
    case "two shards":
      try fixture.writeFile("\(input)/\(names[1])", order: fixture.tensors.suffix(15).map(\.name) + [fixture.tensors[0].name])
    case "unlisted":
      let indexPath = input + "/model.safetensors.index.json"
      let index = try String(contentsOfFile: indexPath, encoding: .utf8)
      try Data(index.replacingOccurrences(of: "\"lm_head.weight\"", with: "\"renamed\"").utf8)
        .write(to: URL(fileURLWithPath: indexPath))
    case "index not JSON":
      try Data("{\"weight_map\":".utf8).write(to: URL(fileURLWithPath: input + "/model.safetensors.index.json"))
    case "output is input":
      output = input + "/"
    case "output named as a file":
      output = directory.file("pruned.safetensors")
    default:
      output = input + "/pruned"
    }
    let before = try FileManager.default.subpathsOfDirectory(atPath: directory.path).sorted()
    let result = try BonsaiProcess.run(["prune", input, "-o", output])
    #expect(result.status == status, "\(result.standardError)")
    #expect(result.standardError.hasPrefix("bonsai: error: "))
    #expect(result.standardError.contains(message), "\(result.standardError)")
    #expect(result.standardError.split(separator: "\n").count == 1)
    #expect(try FileManager.default.subpathsOfDirectory(atPath: directory.path).sorted() == before)
  }
}
