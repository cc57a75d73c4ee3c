import Foundation
import Testing
import TestSupport

/// `bonsai shards`: the steps of a run on many machines, run one after another here, give
/// the folder `bonsai prune` writes, byte for byte; what cannot be split is refused.
@Suite("bonsai shards: a model folder pruned step by step")
struct ShardsCommandTests {
  /// Runs `bonsai` and expects success; returns stdout.
  @discardableResult
  func bonsai(_ arguments: [String]) throws -> String {
    let result = try BonsaiProcess.run(arguments)
    #expect(result.status == 0, "\(arguments): \(result.standardError)")
    return result.standardOutput
  }

  /// The JSON object `text` holds.
  func object(_ text: String) throws -> [String: Any] {
    try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
  }

  /// Every file under `folder`, by relative path, with its bytes.
  func files(_ folder: String) throws -> [String: Data] {
    var files = [String: Data]()
    let enumerator = try #require(FileManager.default.enumerator(atPath: folder))
    for case let path as String in enumerator {
      var isFolder: ObjCBool = false
      if FileManager.default.fileExists(atPath: "\(folder)/\(path)", isDirectory: &isFolder), !isFolder.boolValue {
        files[path] = try Data(contentsOf: URL(fileURLWithPath: "\(folder)/\(path)"))
      }
    }
    return files
  }

  @Test(
    "plan, count, cut, prune and finish give bonsai prune's folder",
    arguments: [
      ["--sparsity", "0.5"],
      ["--granularity", "2:4"],
      ["--scope", "global", "--sparsity", "0.6"],
      ["--scope", "global", "--metric", "random", "--seed", "3"],
      ["--scope", "global", "--sparsity", "0"],
      ["--metric", "wanda", "--scope", "global"],
      // Compacting down_proj's rows or q/k/v/o's (hidden_size) while the embedding keeps its
      // width: config.json cannot follow, and is kept as it is.
      ["--granularity", "rows", "--metric", "l2", "--include", "mlp", "--compact", "--sparsity", "0.25", "--allow-uneven"],
      ["--pair", FolderCommandTests.pair, "--granularity", "rows", "--compact", "--sparsity", "0.25", "--allow-uneven"],
      // The MLP's channels alike in every layer: intermediate_size rewritten by both.
      ["--pair", FolderCommandTests.pair, "--include", "mlp", "--granularity", "rows", "--compact", "--sparsity", "0.25"],
    ])
  func stepsGiveTheSameFolder(options: [String]) throws {
    let directory = try TemporaryDirectory()
    let fixture = ModelFolderFixture(distinct: 5)
    try fixture.writeFolder(directory.file("model"), shards: 3)
    var prune = options
    if options.contains("wanda") {
      let matrices = fixture.tensors.filter { $0.shape.count == 2 }
      var generator = SeededGenerator(seed: 9)
      try writeCheckpoint(
        directory.file("norms.safetensors"),
        floats: matrices.map { ($0.name, [$0.shape[1]], generator.floats($0.shape[1], in: 0.1 ... 2)) })
      prune += ["--activations", directory.file("norms.safetensors")]
    }
    try bonsai(["prune", directory.file("model"), "-o", directory.file("expected"), "--quiet"] + prune)
    let arguments = [directory.file("model"), "-o", directory.file("output")] + prune

    let plan = try object(try bonsai(["shards", "plan"] + arguments))
    let shards = try #require(plan["shards"] as? [String])
    #expect(shards.count == 3)
    var decided = [String]()  // --cut and --channels for the pruning steps
    if plan["global"] as? Bool == true {
      var counted = [String]()
      var bin = [String]()
      for round in ["counts", "refined"] {
        for shard in shards {
          let path = directory.file("\(round)-\(shard).json")
          try bonsai(["shards", "count", "--shard", shard, "-o", path] + bin + arguments)
          counted += ["--\(round)", path]
        }
        let step = try object(try bonsai(["shards", "cut", "-o", directory.file("cut.json")] + counted + arguments))
        if let refine = step["refine"] as? Int {
          bin = ["--bin", "\(refine)"]
        } else {
          decided = ["--cut", try #require(step["cut"] as? String)]
          break
        }
      }
      #expect(!decided.isEmpty)
    }
    for group in 0 ..< (try #require(plan["groups"] as? Int)) {
      let path = directory.file("channels-\(group).json")
      try bonsai(["shards", "channels", "--group", "\(group)", "-o", path] + arguments)
      decided += ["--channels", path]
    }
    #expect(options.contains("--pair") == decided.contains("--channels"))
    try FileManager.default.createDirectory(atPath: directory.file("pruned"), withIntermediateDirectories: false)
    for shard in shards {
      try bonsai(["shards", "prune", "--shard", shard, "--into", directory.file("pruned")] + decided + arguments)
    }
    try bonsai(["shards", "finish", "--from", directory.file("pruned")] + arguments)
    // Moved: once OUTDIR is in place, the shards are no longer in FROM.
    #expect(try files(directory.file("pruned")).isEmpty)
    let expected = try files(directory.file("expected"))
    let output = try files(directory.file("output"))
    #expect(expected.keys.sorted() == output.keys.sorted())
    for (path, bytes) in expected {
      #expect(output[path] == bytes, "\(options) \(path): bytes differ")
    }
  }

  /// Whether /dev/shm is a file system other than the one temporary directories are made on.
  static var sharedMemoryIsAnotherFileSystem: Bool {
    guard let directory = try? TemporaryDirectory() else { return false }
    var shared = stat()
    var temporary = stat()
    return stat("/dev/shm", &shared) == 0 && stat(directory.path, &temporary) == 0
      && shared.st_dev != temporary.st_dev
  }

  /// The shards are linked into the folder being built and leave FROM only once it is in
  /// place: a finish that fails (here: FROM on another file system) leaves them in FROM,
  /// byte for byte, for the next attempt.
  @Test(.enabled(if: sharedMemoryIsAnotherFileSystem, "needs /dev/shm on another file system than the temporary directory"))
  func aFinishThatFailsLeavesTheShardsInFrom() throws {
    let directory = try TemporaryDirectory()
    try ModelFolderFixture().writeFolder(directory.file("model"), shards: 2)
    var template = Array("/dev/shm/bonsai-from-XXXXXX".utf8CString)
    let from = try #require(template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }.map { String(cString: $0) })
    defer { try? FileManager.default.removeItem(atPath: from) }
    let arguments = [directory.file("model"), "-o", directory.file("output")]
    for shard in ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"] {
      try bonsai(["shards", "prune", "--shard", shard, "--into", from] + arguments)
    }
    let pruned = try files(from)
    #expect(pruned.count == 4)  // each shard and its record
    let result = try BonsaiProcess.run(["shards", "finish", "--from", from] + arguments)
    #expect(result.status == 1 && result.standardError.contains("cannot link \(from)/"), "\(result.standardError)")
    #expect(try files(from) == pruned)
    #expect(try directory.entries().sorted() == ["model"])
  }

  /// FROM may not be OUTDIR nor lie inside it: replacing OUTDIR, or clearing FROM once the
  /// folder is in place, would remove the shards. Refused before anything is touched.
  @Test func fromInsideTheOutputIsRefused() throws {
    let directory = try TemporaryDirectory()
    try ModelFolderFixture().writeFolder(directory.file("model"), shards: 2)
    let output = directory.file("out")
    let from = output + "/pruned"
    try FileManager.default.createDirectory(atPath: from, withIntermediateDirectories: true)
    let arguments = [directory.file("model"), "-o", output, "--replace"]
    for shard in ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"] {
      try bonsai(["shards", "prune", "--shard", shard, "--into", from] + arguments)
    }
    let pruned = try files(from)
    for (source, message) in [(from, "holds the --from \(from)"), (output, "-o \(output) is the --from")] {
      let result = try BonsaiProcess.run(["shards", "finish", "--from", source] + arguments)
      #expect(result.status == 64 && result.standardError.contains(message), "\(result.standardError)")
      #expect(try files(from) == pruned)
    }
  }

  @Test("what cannot be split, or is asked wrongly, is refused with one line")
  func refusals() throws {
    let directory = try TemporaryDirectory()
    let fixture = ModelFolderFixture()
    try fixture.writeFolder(directory.file("model"), shards: 2)
    try fixture.writeFile(directory.file("one.safetensors"))
    let model = directory.file("model")
    let output = ["-o", directory.file("output")]
    let plan = try object(try bonsai(["shards", "plan", model, "--report", "r.json"] + output))
    #expect((plan["unsplittable"] as? String)?.contains("--report") == true)
    let shard = "model-00001-of-00002.safetensors"
    for (arguments, message) in [
      (["prune", "--shard", shard, "--into", "x", model, "--pair", FolderCommandTests.pair], "--channels"),
      (["channels", "--group", "7", "-o", "x", model], "0 channel groups"),
      (["prune", "--shard", shard, "--into", "x", model, "--scope", "global"], "--cut"),
      (["prune", "--shard", "nothing.safetensors", "--into", "x", model], "no shard nothing.safetensors"),
      (["plan", directory.file("one.safetensors")], "is a file"),
      (["count", "--shard", shard, "-o", "x", model], "--scope global only"),

    ] {
      let result = try BonsaiProcess.run(["shards"] + arguments + output)
      #expect(result.status == 64, "\(arguments)")
      #expect(result.standardError.contains(message), "\(arguments): \(result.standardError)")
    }
    // A shard missing from the pruned ones: nothing under OUTDIR.
    try FileManager.default.createDirectory(atPath: directory.file("pruned"), withIntermediateDirectories: false)
    try bonsai(["shards", "prune", "--shard", shard, "--into", directory.file("pruned"), model] + output)
    let result = try BonsaiProcess.run(["shards", "finish", "--from", directory.file("pruned"), model] + output)
    #expect(result.status == 1 && result.standardError.contains("model-00002-of-00002.safetensors"))
    #expect(!FileManager.default.fileExists(atPath: directory.file("output")))
  }
}
