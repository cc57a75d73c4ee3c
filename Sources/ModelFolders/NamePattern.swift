/// A tensor name with its layer numbers folded: every dot-separated part made only of
/// digits becomes `*`, so `model.layers.12.mlp.up_proj.weight` and
/// `model.layers.13.mlp.up_proj.weight` share the pattern `model.layers.*.mlp.up_proj.weight`.
/// Summaries of hundred-tensor models list patterns instead of names.
public struct NamePattern: Hashable, Sendable, CustomStringConvertible {
  /// The name with numbers folded.
  public let text: String
  /// The numbers folded, in order (for `model.layers.12.mlp…`, `[12]`).
  public let numbers: [Int]

  /// The pattern of `name`.
  public init(_ name: String) {
    var numbers = [Int]()
    let parts = name.split(separator: ".", omittingEmptySubsequences: false).map { part in
      guard !part.isEmpty, part.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let number = Int(part)
      else { return String(part) }
      numbers.append(number)
      return "*"
    }
    text = parts.joined(separator: ".")
    self.numbers = numbers
  }

  /// The pattern's text.
  public var description: String { text }

  /// Numbers as short ranges: `[0, 1, 2, 5]` → `0-2,5`.
  public static func ranges(_ numbers: [Int]) -> String {
    var parts = [String]()
    var sorted = Set(numbers).sorted()[...]
    while let first = sorted.popFirst() {
      var last = first
      while sorted.first == last + 1 { last = sorted.removeFirst() }
      parts.append(first == last ? "\(first)" : "\(first)-\(last)")
    }
    return parts.joined(separator: ",")
  }
}
