// Hugging Face model folders for the tests, laid out as transformers' save_pretrained lays
// them out: shards `model-0000i-of-0000n.safetensors` with `{"format": "pt"}` metadata,
// `model.safetensors.index.json`, `config.json`, tokenizer files and a sub-folder.

import Foundation
import SafeTensors

/// A small Llama-shaped model and the ways of storing it: as a sharded folder, as a folder
/// with one `model.safetensors`, or as one file in any tensor order.
public struct ModelFolderFixture: Sendable {
  /// One tensor: its name, shape and F32 values.
  public struct Tensor: Sendable {
    public let name: String
    public let shape: [Int]
    public let values: [Float]
  }

  /// The tensors, in the order of the model's modules.
  public let tensors: [Tensor]
  /// The config's sizes.
  public let config: [String: Int]

  /// A model of `layers` decoder layers (attention projections, an MLP of width
  /// `intermediate`, norms) plus embeddings and a head. With `distinct`, weights take only
  /// that many values, so that ranking ties are common.
  public init(
    layers: Int = 3, hidden: Int = 8, intermediate: Int = 16, vocabulary: Int = 12, seed: UInt64 = 1,
    distinct: Int? = nil
  ) {
    var generator = SeededGenerator(seed: seed)
    var tensors = [Tensor]()
    func add(_ name: String, _ shape: [Int]) {
      let count = shape.reduce(1, *)
      let values =
        distinct.map { generator.tiedFloats(count, distinct: $0) }
        ?? generator.floats(count)
      tensors.append(Tensor(name: name, shape: shape, values: values))
    }
    add("model.embed_tokens.weight", [vocabulary, hidden])
    for layer in 0 ..< layers {
      let prefix = "model.layers.\(layer)"
      for projection in ["q", "k", "v", "o"] {
        add("\(prefix).self_attn.\(projection)_proj.weight", [hidden, hidden])
      }
      add("\(prefix).mlp.gate_proj.weight", [intermediate, hidden])
      add("\(prefix).mlp.up_proj.weight", [intermediate, hidden])
      add("\(prefix).mlp.down_proj.weight", [hidden, intermediate])
      add("\(prefix).input_layernorm.weight", [hidden])
      add("\(prefix).post_attention_layernorm.weight", [hidden])
    }
    add("model.norm.weight", [hidden])
    add("lm_head.weight", [vocabulary, hidden])
    self.tensors = tensors
    config = [
      "hidden_size": hidden, "intermediate_size": intermediate, "num_hidden_layers": layers,
      "vocab_size": vocabulary,
    ]
  }

  /// The names of the shards of a folder of `count` shards.
  public static func shardNames(_ count: Int) -> [String] {
    (1 ... count).map { String(format: "model-%05d-of-%05d.safetensors", $0, count) }
  }

  /// Writes the model as transformers does into the new folder `path`: `shards` shards (1:
  /// one `model.safetensors` and no index) in module order, the index, `config.json`,
  /// `tokenizer.json`, `tokenizer_config.json`, `generation_config.json` and
  /// `1_Pooling/config.json`.
  public func writeFolder(_ path: String, shards: Int) throws {
    try FileManager.default.createDirectory(atPath: path + "/1_Pooling", withIntermediateDirectories: true)
    if shards == 1 {
      try Self.write(tensors, to: path + "/model.safetensors")
    } else {
      let perShard = (tensors.count + shards - 1) / shards
      var weightMap = [String: String]()
      for (index, name) in Self.shardNames(shards).enumerated() {
        let members = Array(tensors.dropFirst(index * perShard).prefix(perShard))
        try Self.write(members, to: "\(path)/\(name)")
        for tensor in members { weightMap[tensor.name] = name }
      }
      let size = tensors.reduce(0) { $0 + $1.values.count * 4 }
      try Self.writeJSON(
        ["metadata": ["total_size": size, "format": "pt"], "weight_map": weightMap],
        to: path + "/model.safetensors.index.json")
    }
    var config: [String: Any] = config
    config["architectures"] = ["LlamaForCausalLM"]
    config["rms_norm_eps"] = 1e-06
    try Self.writeJSON(config, to: path + "/config.json")
    try Self.writeJSON(["bos_token_id": 1], to: path + "/generation_config.json")
    try Self.writeJSON(["model": ["vocab": ["a": 0, "b": 1]]], to: path + "/tokenizer.json")
    try Self.writeJSON(["model_max_length": 64], to: path + "/tokenizer_config.json")
    try Self.writeJSON(["word_embedding_dimension": 8], to: path + "/1_Pooling/config.json")
  }

  /// Writes every tensor into one file, in `order` (default: module order).
  public func writeFile(_ path: String, order: [String]? = nil) throws {
    let byName = Dictionary(uniqueKeysWithValues: tensors.map { ($0.name, $0) })
    try Self.write(order.map { $0.compactMap { byName[$0] } } ?? tensors, to: path)
  }

  private static func write(_ tensors: [Tensor], to path: String) throws {
    let writer = try SafeTensorsWriter(
      path: path, tensors: tensors.map { TensorHeader(name: $0.name, dtype: .f32, shape: $0.shape) },
      metadata: ["format": "pt"], syncsToDisk: false)
    for tensor in tensors { try tensor.values.withUnsafeBytes { try writer.append($0) } }
    try writer.finish()
  }

  private static func writeJSON(_ object: Any, to path: String) throws {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
    try data.write(to: URL(fileURLWithPath: path))
  }
}
