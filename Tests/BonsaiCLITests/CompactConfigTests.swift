import Foundation
import Testing
import TestSupport

/// `--compact` on a model folder: `config.json` changes only where every tensor that carries
/// a size ends with the same new extent; otherwise the run is a usage error naming the key
/// and the tensors, and nothing is written. Sizes in nested objects are never left stale.
@Suite("bonsai prune --compact: config.json follows the tensors or the run is refused")
struct CompactConfigTests {
  static let pair = #"(.*)\.mlp\.(up|gate)_proj\.weight->$1.mlp.down_proj.weight"#

  /// Runs `bonsai prune` of a fresh fixture folder (its `config.json` replaced by
  /// `config`, when given) with `options`, returning the result and the folder.
  func prune(
    _ options: [String], config: String? = nil
  ) throws -> (result: ChildProcess.Result, directory: TemporaryDirectory) {
    let directory = try TemporaryDirectory()
    try ModelFolderFixture().writeFolder(directory.file("m"), shards: 2)
    if let config {
      try Data(config.utf8).write(to: URL(fileURLWithPath: directory.file("m/config.json")))
    }
    let result = try BonsaiProcess.run(
      ["prune", directory.file("m"), "-o", directory.file("out"), "--quiet"] + options)
    return (result, directory)
  }

  @Test(
    "compacting a hidden_size axis of some tensors while the embedding and norms keep it",
    arguments: [
      // o_proj's columns: the attention width, here equal to hidden_size.
      ["--include", "o_proj", "--granularity", "columns", "--compact", "--sparsity", "0.5"],
      // down_proj's rows: its output side, hidden_size.
      ["--include", "down_proj", "--granularity", "rows", "--compact", "--sparsity", "0.5"],
    ])
  func hiddenSizeRefused(options: [String]) throws {
    let (result, directory) = try prune(options)
    #expect(result.status == 64, "\(result.standardError)")
    let lines = result.standardError.split(separator: "\n")
    #expect(lines.count == 1, "\(result.standardError)")
    #expect(result.standardError.contains("hidden_size 8 would not match every tensor of that size"))
    #expect(result.standardError.contains("model.embed_tokens.weight"))
    #expect(result.standardError.contains("keep 4"))
    #expect(try directory.entries() == ["m"], "nothing written")
  }

  @Test("--allow-uneven keeps config.json as it is when hidden_size cannot follow")
  func hiddenSizeAllowed() throws {
    let (result, directory) = try prune([
      "--include", "o_proj", "--granularity", "columns", "--compact", "--sparsity", "0.5",
      "--allow-uneven",
    ])
    #expect(result.status == 0, "\(result.standardError)")
    #expect(
      FileManager.default.contents(atPath: directory.file("out/config.json"))
        == FileManager.default.contents(atPath: directory.file("m/config.json")))
  }

  @Test("an MLP compacted alike in every layer still rewrites intermediate_size")
  func intermediateSizeFollows() throws {
    let (result, directory) = try prune([
      "--include", "mlp", "--pair", Self.pair, "--granularity", "rows", "--compact",
      "--sparsity", "0.5",
    ])
    #expect(result.status == 0, "\(result.standardError)")
    let config = try JSONSerialization.jsonObject(
      with: Data(contentsOf: URL(fileURLWithPath: directory.file("out/config.json"))))
    #expect((config as? [String: Any])?["intermediate_size"] as? Int == 8)
    #expect((config as? [String: Any])?["hidden_size"] as? Int == 8)
  }

  @Test(
    "sizes under text_config (LLaVA-style): refused, naming the nested key; nothing stale",
    arguments: [
      #"{"text_config": {"hidden_size": 8, "intermediate_size": 16}, "vocab_size": 12}"#,
      #"{"hidden_size": 8, "intermediate_size": 16, "text_config": {"intermediate_size": 16}}"#,
    ])
  func nestedSizeRefused(config: String) throws {
    let options = [
      "--include", "mlp", "--pair", Self.pair, "--granularity", "rows", "--compact",
      "--sparsity", "0.5",
    ]
    let (result, directory) = try prune(options, config: config)
    #expect(result.status == 64, "\(result.standardError)")
    #expect(result.standardError.split(separator: "\n").count == 1, "\(result.standardError)")
    #expect(result.standardError.contains("text_config.intermediate_size 16 is declared in a nested object"))
    #expect(!result.standardError.contains("text_config.hidden_size"))
    #expect(try directory.entries() == ["m"], "nothing written")
  }

  @Test("a nested size no compacted axis had is left alone, and the run goes ahead")
  func nestedSizeUntouched() throws {
    let (result, directory) = try prune(
      [
        "--include", "mlp", "--pair", Self.pair, "--granularity", "rows", "--compact",
        "--sparsity", "0.5",
      ],
      config: #"{"hidden_size":8,"intermediate_size":16,"vision_config":{"hidden_size":32,"intermediate_size":64}}"#)
    #expect(result.status == 0, "\(result.standardError)")
    let text = try String(contentsOfFile: directory.file("out/config.json"), encoding: .utf8)
    #expect(text.contains("\"intermediate_size\":8"))
    #expect(text.contains("\"vision_config\":{\"hidden_size\":32,\"intermediate_size\":64}"))
  }
}
