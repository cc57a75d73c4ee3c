/// Where a tensor sits in a model, read from its name: the first dot-separated component
/// that is a number is the layer's, the components before it name the stack and the ones
/// after it the tensor's role. `model.layers.12.mlp.up_proj.weight` is layer 12 of
/// `model.layers` in the role `mlp.up_proj`; in `model.layers.3.mlp.experts.17.w1.weight`
/// the role is `mlp.experts.*.w1`, one role for every expert. A name without a number
/// (`lm_head.weight`) is in no layer.
struct LayerName: Hashable {
  /// The components before the layer number (`model.layers`); nil outside layers.
  let stack: String?
  /// The layer number; nil outside layers.
  let index: Int?
  /// What the tensor does in its layer: the rest of the name with later numbers as `*`
  /// and without a final `weight`; outside layers, the whole name so.
  let role: String

  /// The place of the tensor named `name`.
  init(_ name: String) {
    var components = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
    if let position = components.firstIndex(where: { Int($0) != nil }),
      let index = Int(components[position])
    {
      stack = components[..<position].joined(separator: ".")
      self.index = index
      components = Array(components[(position + 1)...])
    } else {
      stack = nil
      index = nil
    }
    if components.count > 1 && components.last == "weight" { components.removeLast() }
    role = components.map { Int($0) == nil ? $0 : "*" }.joined(separator: ".")
  }

  /// The layer in words: `model.layers.12`, or `outside layers`.
  var layer: String {
    guard let stack, let index else { return "outside layers" }
    return stack.isEmpty ? "\(index)" : "\(stack).\(index)"
  }
}
