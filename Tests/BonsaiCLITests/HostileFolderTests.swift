import Foundation
import Testing
import TestSupport

/// `bonsai prune` and `bonsai report` on model folders with a crafted config.json or stray
/// safetensors files: a config that is not JSON (or UTF-16) is carried over as it is and
/// refused only when --compact must rewrite it; safetensors files the index does not name are
/// left out, and said; an empty weight map is an error.
@Suite("bonsai on crafted model folders")
struct HostileFolderTests {
  let directory: TemporaryDirectory
  var model: String { directory.file("model") }

  init() throws {
    directory = try TemporaryDirectory()
    try ModelFolderFixture().writeFolder(directory.file("model"), shards: 2)
  }

  @Test("a config in UTF-16 or not JSON is copied as it is; --compact is refused", arguments: [
    "utf16", "broken",
  ])
  func invalidConfig(kind: String) throws {
    let path = "\(model)/config.json"
    let text = try String(contentsOfFile: path, encoding: .utf8)
    let bytes = kind == "utf16" ? try #require(text.data(using: .utf16)) : Data("{\"hidden_size\": ".utf8)
    try bytes.write(to: URL(fileURLWithPath: path))
    let report = try BonsaiProcess.run(["report", model])
    #expect(report.status == 0, "\(report.standardError)")
    let prune = try BonsaiProcess.run(["prune", model, "-o", directory.file("out"), "--quiet"])
    #expect(prune.status == 0, "\(prune.standardError)")
    #expect(FileManager.default.contents(atPath: directory.file("out/config.json")) == bytes)
    let compact = try BonsaiProcess.run([
      "prune", model, "-o", directory.file("compact"), "--granularity", "rows", "--metric", "l2",
      "--include", "mlp", "--compact", "--sparsity", "0.25",
    ])
    #expect(compact.status == 1)
    #expect(compact.standardError.contains("config.json: not"), "\(compact.standardError)")
    #expect(compact.standardError.contains("--compact"))
    #expect(!FileManager.default.fileExists(atPath: directory.file("compact")))
  }

  @Test("a safetensors file the index does not name is left out, and said")
  func unnamedSafeTensors() throws {
    let shard = ModelFolderFixture.shardNames(2)[0]
    try FileManager.default.copyItem(atPath: "\(model)/\(shard)", toPath: "\(model)/consolidated.safetensors")
    let result = try BonsaiProcess.run(["prune", model, "-o", directory.file("out"), "--sparsity", "0.5"])
    #expect(result.status == 0, "\(result.standardError)")
    #expect(result.standardError.contains("not copied: consolidated.safetensors"), "\(result.standardError)")
    #expect(!FileManager.default.fileExists(atPath: directory.file("out/consolidated.safetensors")))
  }

  @Test("an empty weight map is an error, and nothing is written")
  func emptyWeightMap() throws {
    try Data(#"{"metadata": {}, "weight_map": {}}"#.utf8).write(
      to: URL(fileURLWithPath: "\(model)/model.safetensors.index.json"))
    let result = try BonsaiProcess.run(["prune", model, "-o", directory.file("out")])
    #expect(result.status != 0)
    #expect(result.standardError.contains("\"weight_map\" is empty"), "\(result.standardError)")
    #expect(!FileManager.default.fileExists(atPath: directory.file("out")))
  }
}
