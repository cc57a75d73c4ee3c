import ModelFolders
import Testing

@Suite("config.json sizes")
struct ModelConfigTests {
  let text = """
    {
      "architectures": ["LlamaForCausalLM"],
      "hidden_size": 8,
      "intermediate_size": 16,
      "rms_norm_eps": 1e-06,
      "rope_scaling": {"factor": 8, "original_max_position_embeddings": 16},
      "max_position_embeddings": 16,
      "head_dim": -1,
      "name\\u0073_size": 2
    }
    """

  func config() throws -> ModelConfig {
    try ModelConfig(bytes: Array(text.utf8), path: "config.json")
  }

  @Test("only top-level plain integers are sizes")
  func sizes() throws {
    #expect(try config().sizes == [
      "hidden_size": 8, "intermediate_size": 16, "max_position_embeddings": 16, "names_size": 2,
    ])
  }

  @Test("a replaced value changes its digits and nothing else")
  func replacing() throws {
    let replaced = String(decoding: try config().replacing(["intermediate_size": 1024, "absent": 3]), as: UTF8.self)
    #expect(replaced == text.replacingOccurrences(of: "\"intermediate_size\": 16", with: "\"intermediate_size\": 1024"))
  }

  @Test("not a JSON object")
  func invalid() {
    #expect(throws: ModelFolderError.self) { try ModelConfig(bytes: Array("[1]".utf8), path: "c") }
    #expect(throws: ModelFolderError.self) { try ModelConfig(bytes: Array("{".utf8), path: "c") }
  }

  /// The MLP of `layers` layers, each keeping `kept[layer]` of 16 channels.
  func mlp(_ kept: [Int]) -> [ModelConfig.Reshaping] {
    kept.enumerated().flatMap { layer, kept in
      [
        ModelConfig.Reshaping(name: "model.layers.\(layer).mlp.up_proj.weight", before: [16, 8], after: [kept, 8]),
        ModelConfig.Reshaping(name: "model.layers.\(layer).mlp.down_proj.weight", before: [8, 16], after: [8, kept]),
        ModelConfig.Reshaping(name: "model.layers.\(layer).self_attn.q_proj.weight", before: [8, 8], after: [8, 8]),
      ]
    }
  }

  @Test("the same width kept in every layer changes intermediate_size only")
  func uniform() throws {
    #expect(try config().sizeChanges(mlp([8, 8, 8])) == [.uniform(key: "intermediate_size", from: 16, to: 8)])
    #expect(try config().sizeChanges(mlp([16, 16])).isEmpty)
  }

  @Test("layers left with different widths, an uncompacted one included, are named")
  func uneven() throws {
    let changes = try config().sizeChanges(mlp([16, 8, 8, 4]))
    #expect(changes.count == 1)
    let text = try #require(changes.first).description
    #expect(text.contains("model.layers.[0].mlp.up_proj.weight, model.layers.[0].mlp.down_proj.weight keep 16"))
    #expect(text.contains("model.layers.[1-2].mlp.up_proj.weight, model.layers.[1-2].mlp.down_proj.weight keep 8"))
    #expect(text.contains("keep 4"))
  }

  @Test("name patterns fold the numbered parts")
  func namePattern() {
    let pattern = NamePattern("model.layers.12.mlp.experts.3.w1.weight")
    #expect(pattern.text == "model.layers.*.mlp.experts.*.w1.weight")
    #expect(pattern.numbers == [12, 3])
    #expect(NamePattern("a.b1.weight").text == "a.b1.weight")
    #expect(NamePattern.ranges([5, 0, 1, 2, 7, 8]) == "0-2,5,7-8")
  }
}
