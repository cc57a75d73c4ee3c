import Foundation
import ModelFolders
import Pruning
import SafeTensors

extension ExampleModel {
  /// The example's shards: the embedding and attention in the first, the MLP, the norm and
  /// the head in the second, as `save_pretrained(max_shard_size=…)` would split them.
  static let shardNames = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]

  /// Writes `model` as a Hugging Face model folder at `path` (replacing an earlier one): two
  /// shards, `model.safetensors.index.json` and a Llama `config.json` whose sizes are the
  /// example's, built in a temporary folder and renamed into place whole.
  static func writeFolder(_ model: [WeightTensor], to path: String) throws(CommandLineError) {
    let split = model.firstIndex { $0.name.contains(".mlp.") } ?? model.count
    let shards = [Array(model[..<split]), Array(model[split...])]
    do {
      let folder = try FolderOutput(destination: path, replacing: true, syncsToDisk: true)
      let registration = SignalCleanup.FolderRegistration(folder)
      FolderPruning.removeLeftovers(of: folder.destination)
      var staged = [StagedFile]()
      var weightMap = [String: String]()
      for (name, tensors) in zip(shardNames, shards) {
        let file = try StagedFile(destination: folder.path(of: name), syncsToDisk: true)
        try write(tensors, to: file)
        staged.append(file)
        for tensor in tensors { weightMap[tensor.name] = name }
      }
      try AtomicCommit.commit(staged)
      let totalSize = model.reduce(0) { $0 + $1.count * MemoryLayout<Float>.size }
      try folder.write(
        try json(["metadata": ["total_size": totalSize], "weight_map": weightMap]),
        as: "model.safetensors.index.json")
      try folder.write(try json(config), as: ModelFolder.configName)
      try SignalCleanup.holdingSignals { () throws(ModelFolderError) in
        registration.release()
        FolderPruning.tell(try folder.commit(), replacing: folder.destination)
      }
    } catch let error as CommandLineError {
      throw error
    } catch {
      throw .failure("\(error)")
    }
  }

  /// A Llama configuration that transformers would build the example's shapes from, read
  /// off `layout` (heads of 64 inputs).
  private static var config: [String: Any] {
    func shape(_ name: String) -> [Int] {
      guard let tensor = layout.first(where: { $0.name == name }) else {
        preconditionFailure("the example has no \(name)")
      }
      return tensor.shape
    }
    let headDim = 64
    return [
      "architectures": ["LlamaForCausalLM"], "model_type": "llama",
      "hidden_size": shape("model.layers.0.self_attn.q_proj.weight")[1],
      "intermediate_size": shape("model.layers.0.mlp.up_proj.weight")[0],
      "num_hidden_layers": 1,
      "num_attention_heads": shape("model.layers.0.self_attn.q_proj.weight")[0] / headDim,
      "num_key_value_heads": shape("model.layers.0.self_attn.k_proj.weight")[0] / headDim,
      "head_dim": headDim, "vocab_size": shape("model.embed_tokens.weight")[0],
      "hidden_act": "silu", "rms_norm_eps": 1e-5, "tie_word_embeddings": false,
      "torch_dtype": "float32",
    ]
  }

  /// `object` as pretty JSON with sorted keys, as bytes.
  private static func json(_ object: Any) throws -> [UInt8] {
    Array(try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]))
  }
}
