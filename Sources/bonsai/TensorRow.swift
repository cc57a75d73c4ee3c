import Pruning

/// One tensor's line in the HTML report's list, from its values in the JSON report: the
/// cells of the line, the exact values as data attributes, and the facts shown when the
/// tensor is opened.
struct TensorRow {
  let tensor: ReportValues.Tensor

  /// The cells: name, shape, dtype, sparsity, nonzero of total, relative output error, how.
  var cells: String {
    let shape =
      tensor.outputShape.map { $0 == tensor.shape ? "\($0)" : "\(tensor.shape) → \($0)" } ?? "\(tensor.shape)"
    let width = (tensor.sparsity * 1000).rounded() / 10
    return """
      <span class="name">\(HTMLText.escaped(tensor.name))</span>\
      <span class="shape">\(shape)</span><span class="dtype">\(HTMLText.escaped(tensor.dtype))</span>\
      <span class="sparsity"><span class="meter"><i style="width:\(width)%"></i></span>\
      \(Percent(tensor.sparsity))</span>\
      <span class="count">\(HTMLText.grouped(tensor.nonzeroParams)) of \(HTMLText.grouped(tensor.totalParams))</span>\
      <span class="error">\(tensor.relativeOutputError.map { HTMLText.short($0) } ?? "")</span>\
      <span class="note">\(HTMLText.escaped(note))</span>
      """
  }

  /// The JSON report's exact values of the tensor, as `data-` attributes.
  var attributes: String {
    var attributes = " data-name=\"\(HTMLText.escaped(tensor.name))\" data-sparsity=\"\(tensor.sparsity)\""
      + " data-nonzero-params=\"\(tensor.nonzeroParams)\" data-total-params=\"\(tensor.totalParams)\""
    if let error = tensor.relativeOutputError { attributes += " data-relative-output-error=\"\(error)\"" }
    return attributes
  }

  /// How the tensor was treated, in a few words.
  private var note: String {
    if let reason = tensor.skipReason { return "copied: \(reason)" }
    var words = tensor.method.map { [$0] } ?? []
    if let pattern = tensor.pattern {
      words.append("\(pattern.keep):\(pattern.of) \(pattern.satisfied ? "holds" : "BROKEN")")
    }
    if let nonFinite = tensor.nonFinite, nonFinite > 0 { words.append("\(nonFinite) non-finite") }
    return words.joined(separator: " · ")
  }

  /// What the report says of the tensor beyond the line, as label–value pairs.
  var facts: String {
    var facts = [(String, String)]()
    if let method = tensor.method { facts.append(("method", method)) }
    if let source = tensor.scoreSource { facts.append(("scores from", source)) }
    if let rows = tensor.keptRows { facts.append(("rows kept", "\(rows.count) of \(tensor.shape[0])")) }
    if let columns = tensor.keptColumns, let count = tensor.shape.last {
      facts.append(("columns kept", "\(columns.count) of \(count)"))
    }
    if let error = tensor.relativeOutputError { facts.append(("relative output error", "\(error)")) }
    if let magnitude = tensor.magnitude {
      facts += [
        ("min |w|", HTMLText.short(magnitude.min)), ("max |w|", HTMLText.short(magnitude.max)),
        ("mean |w|", HTMLText.short(magnitude.mean)), ("median |w|", HTMLText.short(magnitude.median)),
        ("std |w|", HTMLText.short(magnitude.standardDeviation)),
      ]
    }
    return facts.map { "<span><em>\($0.0)</em> \(HTMLText.escaped($0.1))</span>" }.joined()
  }
}
