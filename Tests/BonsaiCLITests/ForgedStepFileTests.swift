import Foundation
import Testing
import TestSupport

/// Step files of `bonsai shards` edited, mixed up or made for another job: each is refused
/// with one line naming the file and the field, nothing is left in `--into` or OUTDIR, and no
/// step traps.
@Suite("bonsai shards: forged and mixed-up step files")
struct ForgedStepFileTests {
  let directory: TemporaryDirectory
  var model: String { directory.file("model") }
  var into: String { directory.file("pruned") }

  init() throws {
    directory = try TemporaryDirectory()
    try ModelFolderFixture(distinct: 5).writeFolder(directory.file("model"), shards: 2)
    try FileManager.default.createDirectory(atPath: directory.file("pruned"), withIntermediateDirectories: false)
  }

  static let shards = ModelFolderFixture.shardNames(2)

  /// Runs `bonsai` and expects success; returns stdout.
  @discardableResult
  func bonsai(_ arguments: [String]) throws -> String {
    let result = try BonsaiProcess.run(arguments)
    #expect(result.status == 0, "\(arguments): \(result.standardError)")
    return result.standardOutput
  }

  /// Runs `bonsai`, expecting it to fail with `status` and one line containing every one of
  /// `messages`.
  func refused(_ arguments: [String], status: Int32 = 1, _ messages: String...) throws {
    let result = try BonsaiProcess.run(arguments)
    #expect(result.status == status, "\(arguments): \(result.standardError)")
    #expect(result.standardError.split(separator: "\n").count == 1, "\(result.standardError)")
    for message in messages {
      #expect(result.standardError.contains(message), "\(arguments): \(result.standardError)")
    }
  }

  /// Rewrites the step file at `path` through `edit`, which changes its JSON object.
  func edit(_ path: String, _ edit: (inout [String: Any]) -> Void) throws {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    var object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    edit(&object)
    try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))
  }

  /// Rewrites the `value` of the step file at `path` through `edit`.
  func editValue(_ path: String, _ edit: @escaping (inout [String: Any]) -> Void) throws {
    try self.edit(path) { file in
      var value = file["value"] as? [String: Any] ?? [:]
      edit(&value)
      file["value"] = value
    }
  }

  /// The counts of every shard, then the cut, at `sparsity`: the path of the cut.
  func cut(sparsity: String) throws -> String {
    let arguments = [model, "-o", directory.file("out"), "--scope", "global", "--sparsity", sparsity]
    var counted = [String]()
    var bin = [String]()
    for round in ["counts", "refined"] {
      for shard in Self.shards {
        let path = directory.file("\(round)-\(sparsity)-\(shard).json")
        try bonsai(["shards", "count", "--shard", shard, "-o", path] + bin + arguments)
        counted += ["--\(round)", path]
      }
      let cut = directory.file("cut-\(sparsity).json")
      let step = try #require(
        try JSONSerialization.jsonObject(
          with: Data(try bonsai(["shards", "cut", "-o", cut] + counted + arguments).utf8))
          as? [String: Any])
      if let refine = step["refine"] as? Int {
        bin = ["--bin", "\(refine)"]
      } else {
        return cut
      }
    }
    Issue.record("no cut after two rounds")
    return ""
  }

  /// The fixture's groups keep 12 of 16 channels at 0.25.
  static let keptTwelve = Array(0 ..< 12)

  @Test("forged kept channels are refused before anything is written", arguments: [
    (keptTwelve.reversed(), "must ascend"), ([0] + keptTwelve.dropLast(), "must ascend"),
    (keptTwelve.dropLast() + [99], "not one of the group's"),
    ([-1] + keptTwelve.dropLast(), "not one of the group's"),
    ([], "0 channels, where this job keeps 12"), ([0, 1], "2 channels, where this job keeps 12"),
  ] as [([Int], String)])
  func forgedChannels(kept: [Int], message: String) throws {
    let arguments = [model, "-o", directory.file("out"), "--pair", FolderCommandTests.pair, "--granularity",
      "rows", "--compact", "--sparsity", "0.25"]
    let plan = try #require(
      try JSONSerialization.jsonObject(with: Data(try bonsai(["shards", "plan"] + arguments).utf8))
        as? [String: Any])
    var channels = [String]()
    for group in 0 ..< (try #require(plan["groups"] as? Int)) {
      let path = directory.file("channels-\(group).json")
      try bonsai(["shards", "channels", "--group", "\(group)", "-o", path] + arguments)
      channels += ["--channels", path]
    }
    let forged = directory.file("channels-0.json")
    let before = try #require(
      (try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: forged))) as? [String: Any])?[
        "value"] as? [String: Any])
    #expect((before["kept"] as? [Int])?.count == Self.keptTwelve.count)
    try editValue(forged) { $0["kept"] = kept }
    try refused(
      ["shards", "prune", "--shard", Self.shards[0], "--into", into] + channels + arguments,
      forged, "field kept", message)
    #expect(try FileManager.default.contentsOfDirectory(atPath: into).isEmpty)
  }

  @Test("a field of the wrong type, or a file that is not JSON, says which")
  func typeMismatch() throws {
    let cut = try cut(sparsity: "0.5")
    let arguments = [model, "-o", directory.file("out"), "--scope", "global", "--sparsity", "0.5"]
    let prune = ["shards", "prune", "--shard", Self.shards[0], "--into", into, "--cut", cut] + arguments
    try editValue(cut) { $0["threshold"] = "high" }
    try refused(prune, cut, "field value.threshold: expected an integer")
    try edit(cut) { $0["value"] = nil }
    try refused(prune, cut, "field value is missing")
    try edit(cut) { $0["job"] = 5 }
    try refused(prune, cut, "field job: expected a string")
    try Data("{\"step\": ".utf8).write(to: URL(fileURLWithPath: cut))
    try refused(prune, cut, "not valid JSON")
  }

  @Test("a cut of another sparsity, or with forged counts, is refused")
  func forgedCut() throws {
    let cut = try cut(sparsity: "0.9")
    let at = { (sparsity: String) in
      ["shards", "prune", "--shard", Self.shards[0], "--into", self.into, "--cut", cut, self.model, "-o",
        self.directory.file("out"), "--scope", "global", "--sparsity", sparsity]
    }
    try refused(at("0.5"), cut, "computed for another job")
    let edits: [(String, (inout [String: Any]) -> Void)] = [
      ("field totalCount is", { $0["totalCount"] = ($0["totalCount"] as? Int ?? 0) + 1 }),
      ("field prunedCount is", { $0["prunedCount"] = ($0["prunedCount"] as? Int ?? 0) + 1 }),
      ("field value.prunedCount", { $0["prunedCount"] = -4 }),
      ("totalCount 7", { $0["totalCount"] = 7 }),
      ("names \"nope\"", { $0["tieQuotas"] = ["nope": 1] }),
    ]
    for (message, change) in edits {
      let original = try Data(contentsOf: URL(fileURLWithPath: cut))
      try editValue(cut, change)
      try refused(at("0.9"), cut, message)
      try original.write(to: URL(fileURLWithPath: cut))
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: into).isEmpty)
    // Counts given as the cut: the wrong step.
    let counts = directory.file("counts-0.9-\(Self.shards[0]).json")
    try refused(
      ["shards", "prune", "--shard", Self.shards[0], "--into", into, "--cut", counts, model, "-o",
        directory.file("out"), "--scope", "global", "--sparsity", "0.9"],
      counts, "written by step \"counts\"")
  }

  @Test("forged counts are refused, naming the file", arguments: [
    ("bins", "[[70000, 1]]", "field value.bins"),
    ("bins", "[[1, -5]]", "field value.bins"),
    ("bins", "[[1, 1000000000000000]]", "keys"),
    ("zeroKeys", "-1", "field value.zeroKeys"),
  ])
  func forgedCounts(field: String, json: String, message: String) throws {
    let value = try JSONSerialization.jsonObject(with: Data(json.utf8), options: .fragmentsAllowed)
    let arguments = [model, "-o", directory.file("out"), "--scope", "global", "--sparsity", "0.5"]
    var counted = [String]()
    for shard in Self.shards {
      let path = directory.file("counts-\(shard).json")
      try bonsai(["shards", "count", "--shard", shard, "-o", path] + arguments)
      counted += ["--counts", path]
    }
    let forged = directory.file("counts-\(Self.shards[1]).json")
    try editValue(forged) { $0[field] = value }
    try refused(["shards", "cut", "-o", directory.file("cut.json")] + counted + arguments, message)
    #expect(!FileManager.default.fileExists(atPath: directory.file("cut.json")))
  }

  @Test("the same counts given twice name both files")
  func countsTwice() throws {
    let arguments = [model, "-o", directory.file("out"), "--scope", "global", "--sparsity", "0.5"]
    let first = directory.file("a.json")
    let second = directory.file("b.json")
    for path in [first, second] {
      try bonsai(["shards", "count", "--shard", Self.shards[0], "-o", path] + arguments)
    }
    try refused(
      ["shards", "cut", "-o", directory.file("cut.json"), "--counts", first, "--counts", second] + arguments,
      "\(second): counts tensor", "which \(first) counts too")
  }

  @Test("finish takes only shards prune wrote for this job: no copies, no links, no other job")
  func finishChecksItsShards() throws {
    let arguments = [model, "-o", directory.file("out")]
    let finish = ["shards", "finish", "--from", into]
    // An unpruned shard copied into FROM.
    for shard in Self.shards {
      try FileManager.default.copyItem(atPath: "\(model)/\(shard)", toPath: "\(into)/\(shard)")
    }
    try refused(finish + arguments + ["--sparsity", "0.5"], "no record")
    for shard in Self.shards { try FileManager.default.removeItem(atPath: "\(into)/\(shard)") }
    // Pruned at 0.9, finished at 0.5.
    for shard in Self.shards {
      try bonsai(["shards", "prune", "--shard", shard, "--into", into] + arguments + ["--sparsity", "0.9"])
    }
    try refused(finish + arguments + ["--sparsity", "0.5"], "computed for another job")
    // A shard replaced after it was recorded.
    let record = "\(into)/\(Self.shards[0]).bonsai-step.json"
    try FileManager.default.removeItem(atPath: "\(into)/\(Self.shards[0])")
    try FileManager.default.copyItem(atPath: "\(model)/\(Self.shards[0])", toPath: "\(into)/\(Self.shards[0])")
    try refused(finish + arguments + ["--sparsity", "0.9"], "not the shard bonsai shards prune wrote")
    // A link in FROM to the shard prune wrote elsewhere.
    let elsewhere = directory.file("elsewhere")
    try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: false)
    try bonsai(["shards", "prune", "--shard", Self.shards[0], "--into", elsewhere] + arguments + ["--sparsity", "0.9"])
    try FileManager.default.removeItem(atPath: "\(into)/\(Self.shards[0])")
    try FileManager.default.removeItem(atPath: record)
    try FileManager.default.createSymbolicLink(
      atPath: "\(into)/\(Self.shards[0])", withDestinationPath: "\(elsewhere)/\(Self.shards[0])")
    try FileManager.default.copyItem(atPath: "\(elsewhere)/\(Self.shards[0]).bonsai-step.json", toPath: record)
    try refused(finish + arguments + ["--sparsity", "0.9"], status: 64, "not a regular file")
    #expect(!FileManager.default.fileExists(atPath: directory.file("out")))
  }

  @Test("--help after a step gives the step's help")
  func stepHelp() throws {
    for step in ["plan", "count", "cut", "channels", "prune", "finish"] {
      let result = try BonsaiProcess.run(["shards", step, "--help"])
      #expect(result.status == 0)
      #expect(result.standardOutput.contains("USAGE: bonsai shards \(step)"), "\(step): \(result.standardOutput)")
    }
  }
}
