import Foundation
import SafeTensors
import Pruning

/// The HTML report of `bonsai prune --report-html` and `bonsai report --html`: one
/// self-contained page — inline CSS, SVG and a small script, nothing fetched — with the
/// overall numbers, the configuration, the sparsity (and relative output error, when the
/// run measured it) by layer, and every tensor, whose pictures are drawn when it is opened.
///
/// Every number the JSON report also has comes from the JSON report's own values
/// (`ReportValues`), which the page also embeds whole as `<script id="bonsai-report">`; the
/// pictures' data, one `<script type="application/json">` per tensor, is parsed only when the
/// tensor is opened, so a page of a thousand tensors opens at once.
struct HTMLReport {
  /// The heading.
  let title: String
  /// The line under the heading: what was read and written.
  let subtitle: String
  /// Settings shown beside the JSON report's `config` (a checkpoint's metadata).
  let settings: [(name: String, value: String)]
  /// The JSON report's values.
  let values: ReportValues
  /// The JSON report, as `--report` or `--json` writes it.
  let json: Data
  /// The tensors' pictures.
  let pictures: TensorPictures

  /// The page of `report` (a `PruneReport` or a `CheckpointReport`) and `pictures`.
  init(
    report: some Encodable, pictures: TensorPictures, title: String, subtitle: String,
    settings: [(name: String, value: String)] = []
  ) throws(CommandLineError) {
    (values, json) = try ReportValues.of(report)
    self.pictures = pictures
    self.title = title
    self.subtitle = subtitle
    self.settings = settings
  }

  /// Writes the page into `file`, renamed into place when its run commits.
  func write(to file: StagedFile) throws(CommandLineError) {
    try ReportFile.write(Data(try page().utf8), to: file)
  }

  /// The whole page.
  func page() throws(CommandLineError) -> String {
    let layout = ModelLayout(values.tensors) { $0.pruned ?? (pictures.entries[$0.name] != nil) }
    return """
      <!doctype html>
      <html lang="en">
      <head>
      <meta charset="utf-8">
      <meta name="viewport" content="width=device-width, initial-scale=1">
      <title>\(HTMLText.escaped(title))</title>
      <style>\(HTMLReportAssets.style)</style>
      </head>
      <body>
      <main>
      <header><h1>\(HTMLText.escaped(title))</h1><p>\(HTMLText.escaped(subtitle))</p></header>
      \(overview())
      \(charts(layout))
      \(tensorList(layout))
      <footer>Written by bonsai \(Bonsai.version). Hover over a bar, point or cell for its exact \
      numbers; open a tensor for its pictures.</footer>
      </main>
      <script type="application/json" id="bonsai-report">\(HTMLText.scriptJSON(json))</script>
      \(try pictureData())
      <script>\(HTMLReportAssets.script)</script>
      </body>
      </html>

      """
  }

  // MARK: - Sections

  /// The totals as cards, and the configuration.
  private func overview() -> String {
    let pruned = values.tensors.filter { $0.pruned == true }.count
    let tensors =
      values.tensors.contains { $0.pruned != nil }
      ? "\(pruned) of \(values.tensors.count)" : "\(values.tensors.count)"
    let cards = [
      card("overall_sparsity", "\(values.overallSparsity)", "\(Percent(values.overallSparsity))", "overall sparsity"),
      card("total_nonzero", "\(values.totalNonzero)", HTMLText.grouped(values.totalNonzero), "weights nonzero"),
      card("total_params", "\(values.totalParams)", HTMLText.grouped(values.totalParams), "weights"),
      card(nil, nil, tensors, values.tensors.contains { $0.pruned != nil } ? "tensors pruned" : "tensors"),
    ]
    let configuration = (values.config.map(Self.configurationRows) ?? [])
      + settings.map { ($0.name, $0.value) }
    let list = configuration.map { "<dt>\(HTMLText.escaped($0.0))</dt><dd>\(HTMLText.escaped($0.1))</dd>" }
    return """
      <section class="top">
      <div class="cards">\(cards.joined())</div>
      <div class="config"><h2>\(values.config == nil ? "Metadata" : "Configuration")</h2>\
      <dl>\(list.isEmpty ? "<dt>none</dt><dd></dd>" : list.joined())</dl></div>
      </section>
      """
  }

  /// One card: a number large, what it is small; `field` and `value` name the JSON
  /// report's field and its exact value.
  private func card(_ field: String?, _ value: String?, _ shown: String, _ caption: String) -> String {
    let data = field.map { " data-field=\"\($0)\" data-value=\"\(value ?? "")\"" } ?? ""
    return "<div class=\"card\"\(data)><b>\(HTMLText.escaped(shown))</b><span>\(caption)</span></div>"
  }

  /// The run's options, the important ones first, without those that are unset.
  private static func configurationRows(_ config: [String: ConfigValue]) -> [(String, String)] {
    let order = [
      "method", "sparsity", "metric", "granularity", "block_pooling", "scope", "iterative", "seed",
      "min_nonzero", "compact", "pairs", "gradients", "activations", "include", "exclude", "input",
      "output",
    ]
    let rank = { (name: String) in order.firstIndex(of: name) ?? order.count }
    return config.sorted { (rank($0.key), $0.key) < (rank($1.key), $1.key) }.compactMap { name, value in
      switch value {
      case .none: nil
      case .list(let items) where items.isEmpty: nil
      default: (name, value.description)
      }
    }
  }

  /// Sparsity by layer: across several layers one line per role, then bars grouped by
  /// layer; the relative output error likewise when the report has it.
  private func charts(_ layout: ModelLayout) -> String {
    guard !layout.groups.isEmpty else { return "" }
    let legend = layout.series.enumerated().map { index, name in
      "<span><i style=\"background:\(SVGChart.colour(index))\"></i>\(HTMLText.escaped(name))</span>"
    }
    var charts = [(title: String, svg: String)]()
    let errors = layout.charted.compactMap(\.tensor.relativeOutputError)
    let errorAxis = SVGChart.Axis.upTo(errors.max() ?? 1)
    if layout.spansLayers {
      charts.append(
        ("Sparsity across depth, one line per role",
         SVGChart.lines(layout.lines(of: .sparsity), axis: .fraction, xLabel: "layer", title: "Sparsity across depth")))
      if !errors.isEmpty {
        charts.append(
          ("Relative output error across depth",
           SVGChart.lines(
            layout.lines(of: .relativeOutputError), axis: errorAxis, xLabel: "layer",
            title: "Relative output error across depth")))
      }
    } else if !errors.isEmpty {
      charts.append(
        ("Relative output error by layer",
         SVGChart.groupedBars(layout.bars(of: .relativeOutputError), axis: errorAxis, title: "Relative output error")))
    }
    charts.append(
      ("Sparsity by layer\(layout.spansLayers ? ", every role" : "")",
       SVGChart.groupedBars(layout.bars(of: .sparsity), axis: .fraction, title: "Sparsity by layer")))
    let drawn = charts.enumerated().map { index, chart in
      "<h2>\(chart.title)</h2>" + (index == 0 ? "<div class=\"legend\">\(legend.joined())</div>" : "") + chart.svg
    }
    return "<section class=\"charts\">\(drawn.joined(separator: "\n"))</section>"
  }

  /// Every tensor, layer by layer; the pictured ones open to their pictures, and the first
  /// pictured tensor with zeros is open from the start.
  private func tensorList(_ layout: ModelLayout) -> String {
    let hasErrors = values.tensors.contains { $0.relativeOutputError != nil }
    var html = """
      <section class="tensors">
      <h2>Tensors</h2>
      <div class="row head"><span>tensor</span><span>shape</span><span>dtype</span>\
      <span>sparsity</span><span>nonzero of total</span><span>\(hasErrors ? "rel. output error" : "")</span>\
      <span>how</span></div>
      """
    let pictured = values.tensors.filter { pictures.entries[$0.name] != nil }
    let opened = (pictured.first { $0.nonzeroParams < $0.totalParams } ?? pictured.first)?.name
    for (layer, tensors) in layout.byLayer {
      if layout.byLayer.count > 1 { html += "<h3>\(HTMLText.escaped(layer))</h3>" }
      for (index, tensor) in tensors {
        let row = TensorRow(tensor: tensor)
        if pictures.entries[tensor.name] != nil {
          html += """
            <details class="tensor" data-picture="picture-\(index)"\(tensor.name == opened ? " open" : "")\
            \(row.attributes)><summary class="row">\(row.cells)</summary>\
            <div class="facts">\(row.facts)</div><div class="pictures"></div></details>
            """
        } else {
          html += "<div class=\"tensor row plain\"\(row.attributes)>\(row.cells)</div>"
        }
      }
    }
    return html + "</section>"
  }

  /// The pictures' data, one inert JSON block per pictured tensor.
  private func pictureData() throws(CommandLineError) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    var blocks = [String]()
    for (index, tensor) in values.tensors.enumerated() {
      guard let entry = pictures.entries[tensor.name] else { continue }
      do {
        let data = try encoder.encode(entry)
        blocks.append(
          "<script type=\"application/json\" id=\"picture-\(index)\">\(HTMLText.scriptJSON(data))</script>")
      } catch {
        throw .failure("cannot encode the pictures of tensor \"\(tensor.name)\": \(error)")
      }
    }
    return blocks.joined(separator: "\n")
  }
}
