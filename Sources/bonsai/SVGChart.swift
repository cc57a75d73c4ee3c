import Foundation
import Pruning

/// The HTML report's charts as inline SVG: bars grouped by layer, and one line per series
/// across layers. Every mark carries a `<title>` with its exact numbers, which browsers
/// show as a tooltip. Charts scale to the width of the page (a `viewBox` of 1100 units).
enum SVGChart {
  /// One value drawn, in the colour of its series, with its tooltip.
  struct Mark {
    let series: Int
    let value: Double
    let tooltip: String
  }

  /// Bars drawn side by side under one label (a layer).
  struct Group {
    let label: String
    let marks: [Mark]
  }

  /// One line: its marks at their x positions (layer numbers).
  struct Line {
    let series: Int
    let points: [(x: Int, mark: Mark)]
  }

  /// The vertical axis: values from 0 to `top`, gridlines at `ticks`.
  struct Axis: Sendable {
    let top: Double
    let ticks: [Double]
    /// A tick's label.
    let label: @Sendable (Double) -> String
    /// A value's label, over a bar wide enough to hold it.
    let valueLabel: @Sendable (Double) -> String

    /// 0 to 100 % in quarters.
    static let fraction = Axis(
      top: 1, ticks: [0, 0.25, 0.5, 0.75, 1], label: { "\(Int(($0 * 100).rounded()))%" },
      valueLabel: { "\(Percent($0))" })

    /// 0 to a round number at or above `maximum`, in fifths.
    static func upTo(_ maximum: Double) -> Axis {
      let top = roundedUp(maximum)
      return Axis(
        top: top, ticks: (0 ... 5).map { top * Double($0) / 5 }, label: { HTMLText.short($0) },
        valueLabel: { HTMLText.short($0) })
    }

    /// The smallest 1, 2 or 5 × 10ⁿ at or above `value` (1 for nothing positive).
    private static func roundedUp(_ value: Double) -> Double {
      guard value > 0, value.isFinite else { return 1 }
      let power = pow(10, (log10(value)).rounded(.down))
      return [1.0, 2, 5, 10].map { $0 * power }.first { $0 >= value * (1 - 1e-12) } ?? 10 * power
    }
  }

  /// Colours of series, told apart by hue and lightness (Tableau 10); series past ten reuse
  /// them.
  static let palette = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#bab0ac",
  ]

  /// The colour of series `series`.
  static func colour(_ series: Int) -> String { palette[series % palette.count] }

  private static let width = 1100.0
  private static let left = 46.0
  private static let right = 10.0
  private static let plotHeight = 130.0
  private static let top = 8.0
  private static let bottom = 24.0
  /// The bar slots (bars and the gaps between groups) a row of the chart holds before it
  /// wraps; a model with more is drawn in at most `mostRows` rows of thinner bars.
  private static let slotsPerRow = 150
  private static let mostRows = 3
  /// The widest a bar slot gets, so that a few bars do not fill the page.
  private static let widestSlot = 44.0

  /// Bars grouped by label, wrapped into rows of the chart when there are many.
  static func groupedBars(_ groups: [Group], axis: Axis, title: String) -> String {
    let allSlots = groups.reduce(0) { $0 + $1.marks.count + 1 }
    let capacity = max(slotsPerRow, (allSlots + mostRows - 1) / mostRows)
    var rows = [[Group]]()
    var slots = 0
    for group in groups {
      if rows.isEmpty || slots + group.marks.count + 1 > capacity && slots > 0 {
        rows.append([])
        slots = 0
      }
      rows[rows.count - 1].append(group)
      slots += group.marks.count + 1
    }
    let slotWidth = min(
      widestSlot,
      (width - left - right) / Double(max(rows.map { $0.reduce(0) { $0 + $1.marks.count + 1 } }.max() ?? 1, 1)))
    let rowHeight = top + plotHeight + bottom
    var svg = SVG(width: width, height: rowHeight * Double(max(rows.count, 1)), title: title)
    for (rowIndex, row) in rows.enumerated() {
      let y0 = rowHeight * Double(rowIndex) + top
      let scale = { (value: Double) in y0 + plotHeight * (1 - min(value, axis.top) / axis.top) }
      svg.axis(axis, top: y0, height: plotHeight, from: left, to: width - right)
      var x = left
      for (index, group) in row.enumerated() {
        let groupWidth = slotWidth * Double(group.marks.count + 1)
        if index % 2 == 1 {
          svg.rect(x: x, y: y0, width: groupWidth, height: plotHeight, fill: "#f3f5f8", tooltip: nil)
        }
        for (position, mark) in group.marks.enumerated() {
          let barX = x + slotWidth * (Double(position) + 0.5) + slotWidth * 0.1
          let barTop = scale(mark.value)
          svg.rect(
            x: barX, y: min(barTop, y0 + plotHeight - 1.5), width: slotWidth * 0.8,
            height: max(y0 + plotHeight - barTop, 1.5),
            fill: colour(mark.series), tooltip: mark.tooltip)
          if slotWidth >= widestSlot {
            svg.text(
              axis.valueLabel(mark.value), x: barX + slotWidth * 0.4, y: barTop - 4, anchor: "middle",
              size: 10)
          }
        }
        let labelWidth = Double(group.label.count) * 6.5
        if labelWidth <= groupWidth || index % Int((labelWidth / groupWidth).rounded(.up)) == 0 {
          svg.text(
            group.label, x: x + groupWidth / 2, y: y0 + plotHeight + 15, anchor: "middle", size: 11)
        }
        x += groupWidth
      }
    }
    return svg.closed
  }

  /// One line per series across the x positions (layer numbers), each point a mark.
  static func lines(_ lines: [Line], axis: Axis, xLabel: String, title: String) -> String {
    let xs = lines.flatMap { $0.points.map(\.x) }
    let (low, high) = (xs.min() ?? 0, max(xs.max() ?? 1, (xs.min() ?? 0) + 1))
    let height = top + plotHeight + bottom + 10
    let plotWidth = width - left - right - 12
    let xPosition = { (x: Int) in left + 6 + plotWidth * Double(x - low) / Double(high - low) }
    let yPosition = { (value: Double) in top + plotHeight * (1 - min(value, axis.top) / axis.top) }
    var svg = SVG(width: width, height: height, title: title)
    svg.axis(axis, top: top, height: plotHeight, from: left, to: width - right)
    let step = max(1, Int((Double(high - low) / 20).rounded(.up)))
    for x in stride(from: low, through: high, by: step) {
      svg.text("\(x)", x: xPosition(x), y: top + plotHeight + 15, anchor: "middle", size: 11)
    }
    svg.text(xLabel, x: width - right, y: top + plotHeight + 30, anchor: "end", size: 11)
    let radius = high - low > 48 ? 2.0 : 3.2
    for line in lines {
      let points = line.points.map { (xPosition($0.x), yPosition($0.mark.value)) }
      svg.polyline(points, stroke: colour(line.series))
      for ((x, y), point) in zip(points, line.points) {
        svg.circle(x: x, y: y, radius: radius, fill: colour(line.series), tooltip: point.mark.tooltip)
      }
    }
    return svg.closed
  }
}

/// SVG markup, built element by element.
private struct SVG {
  private var markup: String

  /// An empty drawing of `width × height` units that scales to its container's width.
  init(width: Double, height: Double, title: String) {
    markup = """
      <svg class="chart" viewBox="0 0 \(Self.number(width)) \(Self.number(height))" \
      role="img" aria-label="\(HTMLText.escaped(title))" xmlns="http://www.w3.org/2000/svg">
      """
  }

  /// The markup, closed.
  var closed: String { markup + "</svg>" }

  mutating func rect(x: Double, y: Double, width: Double, height: Double, fill: String, tooltip: String?) {
    markup += "<rect x=\"\(Self.number(x))\" y=\"\(Self.number(y))\" width=\"\(Self.number(width))\" "
      + "height=\"\(Self.number(height))\" fill=\"\(fill)\"" + Self.closing("rect", tooltip)
  }

  mutating func circle(x: Double, y: Double, radius: Double, fill: String, tooltip: String) {
    markup += "<circle cx=\"\(Self.number(x))\" cy=\"\(Self.number(y))\" r=\"\(Self.number(radius))\" "
      + "fill=\"\(fill)\"" + Self.closing("circle", tooltip)
  }

  mutating func polyline(_ points: [(Double, Double)], stroke: String) {
    let list = points.map { "\(Self.number($0.0)),\(Self.number($0.1))" }.joined(separator: " ")
    markup += "<polyline points=\"\(list)\" fill=\"none\" stroke=\"\(stroke)\" stroke-width=\"2\"/>"
  }

  mutating func line(x1: Double, y1: Double, x2: Double, y2: Double, className: String) {
    markup += "<line class=\"\(className)\" x1=\"\(Self.number(x1))\" y1=\"\(Self.number(y1))\" "
      + "x2=\"\(Self.number(x2))\" y2=\"\(Self.number(y2))\"/>"
  }

  mutating func text(_ text: String, x: Double, y: Double, anchor: String, size: Int) {
    markup += "<text x=\"\(Self.number(x))\" y=\"\(Self.number(y))\" text-anchor=\"\(anchor)\" "
      + "font-size=\"\(size)\">\(HTMLText.escaped(text))</text>"
  }

  /// Gridlines and labels of `axis` over a plot `height` high from `top`.
  mutating func axis(_ axis: SVGChart.Axis, top: Double, height: Double, from left: Double, to right: Double) {
    for tick in axis.ticks {
      let y = top + height * (1 - tick / axis.top)
      line(x1: left, y1: y, x2: right, y2: y, className: tick == 0 ? "base" : "grid")
      text(axis.label(tick), x: left - 6, y: y + 4, anchor: "end", size: 11)
    }
  }

  /// The end of an element: with a `<title>` child when there is a tooltip.
  private static func closing(_ element: String, _ tooltip: String?) -> String {
    guard let tooltip else { return "/>" }
    return "><title>\(HTMLText.escaped(tooltip))</title></\(element)>"
  }

  /// A coordinate to two decimals at most.
  private static func number(_ value: Double) -> String {
    let rounded = (value * 100).rounded() / 100
    return rounded == rounded.rounded() ? "\(Int(rounded))" : "\(rounded)"
  }
}
