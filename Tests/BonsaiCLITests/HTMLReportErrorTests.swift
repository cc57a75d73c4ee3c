import Foundation
import Testing
@testable import bonsai

/// The relative output error, which `bonsai prune --report` writes per tensor when a run
/// measures it: the page charts and lists it from the report's values.
@Suite struct HTMLReportErrorTests {
  /// A report as the JSON report writes one, with `relative_output_error` per pruned tensor.
  struct Report: Encodable {
    struct Tensor: Encodable {
      let name: String
      let shape = [4, 8]
      let dtype = "F32"
      let pruned = true
      let total_params = 32
      let nonzero_params = 16
      let sparsity = 0.5
      let relative_output_error: Double
    }

    let total_params = 32 * 6
    let total_nonzero = 16 * 6
    let overall_sparsity = 0.5
    let tensors: [Tensor]
  }

  @Test func errorsAreChartedAndListedExactly() throws {
    let errors = [0.012, 0.25, 1.0 / 3, 0.0078125, 0.5, 0.1]
    let tensors = errors.enumerated().map { index, error in
      Report.Tensor(name: "model.layers.\(index / 2).\(index % 2 == 0 ? "self_attn.q_proj" : "mlp.up_proj").weight", relative_output_error: error)
    }
    let page = try HTMLReport(
      report: Report(tensors: tensors), pictures: TensorPictures(), title: "t", subtitle: "s"
    ).page()
    #expect(page.contains("<h2>Relative output error across depth</h2>"))
    for tensor in tensors {
      #expect(page.contains("data-name=\"\(tensor.name)\" data-sparsity=\"0.5\""))
      #expect(page.contains("data-relative-output-error=\"\(tensor.relative_output_error)\""))
    }
    #expect(page.contains("rel. output error"))
    #expect(page.contains("model.layers.1.mlp.up_proj.weight\nrelative output error 0.0078125</title>"))
    // Three layers are drawn as lines, one per role (q_proj, up_proj), a point per layer,
    // and not as bars.
    #expect(!page.contains("Relative output error by layer"))
    let chart = page.components(separatedBy: "<h2>Relative output error across depth</h2>")
      .dropFirst().first?.components(separatedBy: "<h2>").first ?? ""
    let lines = chart.components(separatedBy: "<polyline points=\"").dropFirst()
    #expect(lines.count == 2, "one line per role")
    for line in lines {
      let points = line.prefix { $0 != "\"" }.split(separator: " ")
      #expect(points.count == 3, "a point per layer: \(points)")
    }
  }
}
