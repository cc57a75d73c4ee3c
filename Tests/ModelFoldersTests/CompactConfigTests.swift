import ModelFolders
import Testing

/// The rule that lets compaction change a declared size: every tensor that had the size ends
/// with the same new extent, or the change is reported as one the config cannot follow.
@Suite("config.json sizes follow every tensor of the size")
struct CompactConfigTests {
  let config = """
    {"hidden_size": 8, "intermediate_size": 16, "text_config": {"hidden_size": 8,
     "layers": [{"ffn_dim": 16}]}, "quantization_config": {"bits": 16}}
    """

  /// A two-layer model: embedding, attention output and MLP down projection, with the
  /// down projection's rows kept as `downRows` and its columns as `downColumns`.
  func model(downRows: Int, downColumns: Int, embedding: Int = 8) -> [ModelConfig.Reshaping] {
    [ModelConfig.Reshaping(name: "model.embed_tokens.weight", before: [12, 8], after: [12, embedding])]
      + (0 ..< 2).flatMap { layer in
        [
          ModelConfig.Reshaping(
            name: "model.layers.\(layer).mlp.down_proj.weight", before: [8, 16],
            after: [downRows, downColumns]),
          ModelConfig.Reshaping(
            name: "model.layers.\(layer).input_layernorm.weight", before: [8], after: [embedding]),
        ]
      }
  }

  @Test("a size some tensors keep is not rewritten: the change names both sides")
  func unmatched() throws {
    let changes = try ModelConfig(bytes: Array(config.utf8), path: "c").sizeChanges(
      model(downRows: 4, downColumns: 16))
    guard case .unmatched(let key, let from, let sites) = try #require(changes.first) else {
      Issue.record("expected an unmatched change: \(changes)")
      return
    }
    #expect(key == "hidden_size" && from == 8)
    #expect(sites[4] == ["model.layers.0.mlp.down_proj.weight", "model.layers.1.mlp.down_proj.weight"])
    #expect(sites[8]?.first == "model.embed_tokens.weight")
    #expect(sites[8]?.contains("model.layers.1.input_layernorm.weight") == true)
    let text = changes[0].description
    #expect(text.hasPrefix("hidden_size 8 would not match every tensor of that size: "))
    #expect(text.contains("model.layers.[0-1].mlp.down_proj.weight keep 4"))
    // The nested hidden_size had a compacted extent too: never left stale in silence.
    #expect(changes.dropFirst().map(\.description) == [
      "text_config.hidden_size 8 is declared in a nested object, which --compact does not rewrite",
    ])
  }

  @Test("every tensor of the size changed alike: the size follows")
  func uniform() throws {
    let changes = try ModelConfig(bytes: Array(#"{"hidden_size": 8}"#.utf8), path: "c").sizeChanges(
      model(downRows: 4, downColumns: 16, embedding: 4))
    #expect(changes == [.uniform(key: "hidden_size", from: 8, to: 4)])
  }

  @Test("nested sizes at any depth, arrays included, by path; other nested integers ignored")
  func nested() throws {
    let changes = try ModelConfig(bytes: Array(config.utf8), path: "c").sizeChanges(
      model(downRows: 8, downColumns: 8))
    #expect(changes == [
      .uniform(key: "intermediate_size", from: 16, to: 8),
      .nested(key: "text_config.layers[0].ffn_dim", from: 16),
    ])
  }

  @Test("long lists of tensors name the first few patterns and count the rest")
  func longLists() {
    let names = (0 ..< 7).map { "model.part\($0).weight" }
    let change = ModelConfig.SizeChange.unmatched(key: "hidden_size", from: 8, sites: [8: names, 4: ["a"]])
    #expect(change.description.hasSuffix(
      "model.part0.weight, model.part1.weight, model.part2.weight, model.part3.weight, and 3 more keep 8; a keeps 4"))
  }
}
