import Testing
@testable import bonsai

/// Layers and roles read from tensor names, for the HTML report's charts.
@Suite struct LayerNameTests {
  @Test(arguments: [
    ("model.layers.12.mlp.up_proj.weight", "model.layers", 12, "mlp.up_proj", "model.layers.12"),
    ("model.layers.3.mlp.experts.17.w1.weight", "model.layers", 3, "mlp.experts.*.w1", "model.layers.3"),
    ("transformer.h.0.attn.c_attn.bias", "transformer.h", 0, "attn.c_attn.bias", "transformer.h.0"),
    ("encoder.block.2.layer.0.SelfAttention.q.weight", "encoder.block", 2, "layer.*.SelfAttention.q", "encoder.block.2"),
    ("0.weight", "", 0, "weight", "0"),
  ])
  func layerNumberAndRole(name: String, stack: String, index: Int, role: String, layer: String) {
    let place = LayerName(name)
    #expect(place.stack == stack)
    #expect(place.index == index)
    #expect(place.role == role)
    #expect(place.layer == layer)
  }

  @Test func namesWithoutANumberAreOutsideLayers() {
    let place = LayerName("lm_head.weight")
    #expect(place.stack == nil && place.index == nil)
    #expect(place.role == "lm_head")
    #expect(place.layer == "outside layers")
    #expect(LayerName("weight").role == "weight")
  }
}
