import Foundation

/// Text and numbers made ready for an HTML page.
enum HTMLText {
  /// `text` with `&`, `<`, `>`, `"` and `'` escaped: safe in element content and in quoted
  /// attribute values.
  static func escaped(_ text: String) -> String {
    var result = ""
    result.reserveCapacity(text.utf8.count)
    for character in text {
      switch character {
      case "&": result += "&amp;"
      case "<": result += "&lt;"
      case ">": result += "&gt;"
      case "\"": result += "&quot;"
      case "'": result += "&#39;"
      default: result.append(character)
      }
    }
    return result
  }

  /// JSON made safe inside a `<script>` element: no `</` can close it early and no `<!--`
  /// can open a comment (`\/` and `\u003c` are the same JSON).
  static func scriptJSON(_ json: Data) -> String {
    let text = String(decoding: json, as: UTF8.self)
    guard json.contains(UInt8(ascii: "<")) else { return text }
    return text.replacingOccurrences(of: "</", with: "<\\/")
      .replacingOccurrences(of: "<!--", with: "\\u003c!--")
  }

  /// An integer with thousands separated by commas: `1,048,576`.
  static func grouped(_ value: Int) -> String {
    let digits = String(value.magnitude)
    var result = ""
    for (offset, digit) in digits.enumerated() {
      if offset > 0 && (digits.count - offset) % 3 == 0 { result += "," }
      result.append(digit)
    }
    return value < 0 ? "-" + result : result
  }

  /// A number to four significant digits: `0.01507`, `4.454e-08`.
  static func short(_ value: Double) -> String {
    String(format: "%.4g", value)
  }
}
