import Pruning

/// The tensors of a report placed in their layers (`LayerName`): the groups of the bar
/// charts, the series of the lines (one per role: `self_attn.q_proj`, `mlp.up_proj`, …) and
/// the sections of the tensor list.
struct ModelLayout {
  typealias Tensor = ReportValues.Tensor

  /// A value charted per layer and role.
  enum Measure {
    case sparsity
    case relativeOutputError

    /// The value of `tensors`, one role of one layer: a tensor's own, or for several (the
    /// experts of a mixture) the sparsity of their union or their mean error.
    func value(of tensors: [Tensor]) -> Double? {
      if tensors.count == 1 {
        return self == .sparsity ? tensors[0].sparsity : tensors[0].relativeOutputError
      }
      switch self {
      case .sparsity:
        let total = tensors.reduce(0) { $0 + $1.totalParams }
        let nonzero = tensors.reduce(0) { $0 + $1.nonzeroParams }
        return total == 0 ? 0 : Double(total - nonzero) / Double(total)
      case .relativeOutputError:
        let errors = tensors.compactMap(\.relativeOutputError)
        return errors.isEmpty ? nil : errors.reduce(0, +) / Double(errors.count)
      }
    }

    /// The tooltip of `value`, the value of `tensors` in `role` of `layer`.
    func tooltip(_ value: Double, of tensors: [Tensor], role: String, layer: String) -> String {
      let nonzero = tensors.reduce(0) { $0 + $1.nonzeroParams }
      let total = tensors.reduce(0) { $0 + $1.totalParams }
      let heading = tensors.count == 1 ? tensors[0].name : "\(layer) · \(role): \(tensors.count) tensors"
      switch self {
      case .sparsity:
        return "\(heading)\nsparsity \(Percent(value)): \(HTMLText.grouped(nonzero)) of "
          + "\(HTMLText.grouped(total)) weights nonzero"
      case .relativeOutputError:
        return "\(heading)\nrelative output error \(value)\(tensors.count == 1 ? "" : " (mean)")"
      }
    }
  }

  /// Every tensor with its place, in file order; `index` is its position in the report.
  let placed: [(index: Int, tensor: Tensor, place: LayerName)]
  /// The tensors the charts show.
  let charted: [(tensor: Tensor, place: LayerName)]
  /// The names of the series: roles, prefixed by their stack when the model has several.
  let series: [String]
  /// The layers of the charted tensors, in order of first appearance.
  let groups: [String]

  /// The layout of `tensors`, charting those for which `charted` is true.
  init(_ tensors: [Tensor], charted isCharted: (Tensor) -> Bool) {
    placed = tensors.enumerated().map { ($0, $1, LayerName($1.name)) }
    charted = placed.filter { isCharted($0.tensor) }.map { ($0.tensor, $0.place) }
    let stacks = Set(charted.compactMap(\.place.stack))
    let name = { (place: LayerName) in
      stacks.count > 1 && place.stack != nil ? "\(place.stack ?? "") · \(place.role)" : place.role
    }
    series = Self.firstAppearances(charted.map { name($0.place) })
    groups = Self.firstAppearances(charted.map(\.place.layer))
    seriesName = name
    hasStacks = stacks.count > 1
  }

  /// Whether layers of several stacks (an encoder's and a decoder's) are charted: then a
  /// layer number alone does not say which layer it is.
  private let hasStacks: Bool

  /// The series name of a place.
  private let seriesName: (LayerName) -> String

  /// Whether the charted tensors lie in two layers or more: then lines across depth show
  /// more than bars.
  var spansLayers: Bool { Set(charted.compactMap(\.place.index)).count > 1 }

  /// Every tensor grouped by layer, the layers in order of first appearance.
  var byLayer: [(layer: String, tensors: [(index: Int, tensor: Tensor)])] {
    OrderedGroups.gather(placed) { $0.place.layer }.map { layer, members in
      (layer, members.map { ($0.index, $0.tensor) })
    }
  }

  /// One group of bars per layer, one bar per role.
  func bars(of measure: Measure) -> [SVGChart.Group] {
    let byLayer = Dictionary(grouping: charted, by: \.place.layer)
    return groups.map { layer in
      let members = byLayer[layer, default: []]
      let marks = marks(of: measure, members, layer: layer)
      let label =
        groups.count == 1 || hasStacks ? layer : members.first?.place.index.map(String.init) ?? layer
      return SVGChart.Group(label: label, marks: marks.map(\.mark))
    }
  }

  /// One line per role across the layers' numbers.
  func lines(of measure: Measure) -> [SVGChart.Line] {
    let layered = charted.filter { $0.place.index != nil }
    let byLayer = Dictionary(grouping: layered, by: \.place.layer)
    var points = [Int: [(x: Int, mark: SVGChart.Mark)]]()
    for layer in groups {
      guard let members = byLayer[layer], let x = members.first?.place.index else { continue }
      for (series, mark) in marks(of: measure, members, layer: layer) {
        points[series, default: []].append((x, mark))
      }
    }
    return points.keys.sorted().map { SVGChart.Line(series: $0, points: points[$0, default: []].sorted { $0.x < $1.x }) }
  }

  /// The marks of one layer's members: one per role that has a value, in series order.
  private func marks(
    of measure: Measure, _ members: [(tensor: Tensor, place: LayerName)], layer: String
  ) -> [(series: Int, mark: SVGChart.Mark)] {
    let byRole = Dictionary(grouping: members) { seriesName($0.place) }
    return series.enumerated().compactMap { series, role in
      guard let tensors = byRole[role]?.map(\.tensor), let value = measure.value(of: tensors) else {
        return nil
      }
      return (series, SVGChart.Mark(
        series: series, value: value,
        tooltip: measure.tooltip(value, of: tensors, role: role, layer: layer)))
    }
  }

  /// The distinct elements of `items` in the order they first appear.
  private static func firstAppearances(_ items: [String]) -> [String] {
    var seen = Set<String>()
    return items.filter { seen.insert($0).inserted }
  }
}
