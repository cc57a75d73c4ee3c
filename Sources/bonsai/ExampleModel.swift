import Pruning

/// The built-in example model `bonsai demo` prunes: one small transformer block's weights
/// in realistic shapes, deterministic from a fixed seed.
///
/// Weights are drawn uniformly from ±1/√in (the usual initialisation scale), with each
/// output row and input column scaled by a factor between 0.25 and 1.75, so that rows and
/// columns differ in importance as they do in trained models.
enum ExampleModel {
  /// Names and shapes of the example's tensors, `[out, in]` for matrices.
  static let layout: [(name: String, shape: [Int])] = [
    ("model.embed_tokens.weight", [1024, 512]),
    ("model.layers.0.input_layernorm.weight", [512]),
    ("model.layers.0.self_attn.q_proj.weight", [512, 512]),
    ("model.layers.0.self_attn.k_proj.weight", [128, 512]),
    ("model.layers.0.self_attn.v_proj.weight", [128, 512]),
    ("model.layers.0.self_attn.o_proj.weight", [512, 512]),
    ("model.layers.0.mlp.gate_proj.weight", [2048, 512]),
    ("model.layers.0.mlp.up_proj.weight", [2048, 512]),
    ("model.layers.0.mlp.down_proj.weight", [512, 2048]),
    ("lm_head.weight", [1024, 512]),
  ]

  /// The example's tensors, identical on every run.
  static func tensors() throws(PruningError) -> [WeightTensor] {
    var generator = LCG(state: 0xB0_45A1)
    return try layout.map { name, shape throws(PruningError) in
      let count = shape.reduce(1, *)
      let inputs = shape.last ?? 1
      let rows = count / inputs
      let bound = 1 / Float(inputs).squareRoot()
      let rowScale = (0 ..< rows).map { _ in 0.25 + 1.5 * generator.nextUnit() }
      let columnScale = (0 ..< inputs).map { _ in 0.25 + 1.5 * generator.nextUnit() }
      let values = (0 ..< count).map { index in
        let uniform = 2 * generator.nextUnit() - 1
        return uniform * bound * rowScale[index / inputs] * columnScale[index % inputs]
      }
      return try WeightTensor(name: name, shape: shape, values: values)
    }
  }

  /// The example's tensors that `bonsai prune` prunes by default: the matrices whose names
  /// contain neither `embed` nor `lm_head`.
  static func prunedByDefault(_ model: [WeightTensor]) -> [WeightTensor] {
    model.filter { $0.rank == 2 && !$0.name.contains("embed") && !$0.name.contains("lm_head") }
  }

  /// Score inputs for the matrices `bonsai prune` prunes by default, identical on every run:
  /// calibration inputs `[16, in]` under each weight's name (for `--metric wanda`) and
  /// gradients of each weight's shape (for `--metric taylor`), uniform in ±1 and ±0.01.
  static func scoreInputs(for model: [WeightTensor]) throws(PruningError)
    -> (activations: [WeightTensor], gradients: [WeightTensor])
  {
    var generator = LCG(state: 0x5C_0BE5)
    func uniform(_ count: Int, scale: Float) -> [Float] {
      (0 ..< count).map { _ in scale * (2 * generator.nextUnit() - 1) }
    }
    var activations = [WeightTensor]()
    var gradients = [WeightTensor]()
    for weight in prunedByDefault(model) {
      let inputs = weight.shape[1]
      activations.append(
        try WeightTensor(name: weight.name, shape: [16, inputs], values: uniform(16 * inputs, scale: 1)))
      gradients.append(
        try WeightTensor(name: weight.name, shape: weight.shape, values: uniform(weight.count, scale: 0.01)))
    }
    return (activations, gradients)
  }

  /// The Hessians H = XᵀX of the calibration inputs `activations` (for `--hessians`, which
  /// SparseGPT prunes by and every metric's output error is measured with), under the same
  /// names.
  static func hessians(of activations: [WeightTensor]) throws -> [WeightTensor] {
    try activations.map { inputs in
      let hessian = try CalibrationHessian.hessian(
        ofActivations: inputs.values.span, shape: inputs.shape, name: inputs.name)
      let size = inputs.shape[1]
      return try WeightTensor(name: inputs.name, shape: [size, size], values: hessian.map(Float.init))
    }
  }

  /// A minimal 64-bit LCG, so the example does not depend on the standard library's
  /// unspecified random algorithms.
  private struct LCG {
    var state: UInt64

    mutating func nextUnit() -> Float {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Float(state >> 40) / Float(1 << 24)
    }
  }
}
