import Foundation

/// Which sizes a config declares that compaction changes, so that a compacted folder still
/// loads: when `--compact` removes the same number of MLP channels from every layer,
/// `intermediate_size` must say the new width.
///
/// The rule: a declared size is a top-level integer member whose name ends in `_size` or
/// `_dim`, or is `n_inner` or `d_ff`. It changes when some tensor was compacted along an
/// axis whose extent equalled its value. Its sites are then every tensor of the same name
/// pattern (layer numbers folded, see ``NamePattern``) whose extent along that axis equalled
/// the value, compacted or not; when they differ the layers disagree and the config cannot
/// describe them. A config edit must also follow from every tensor that carries the value:
/// when any other tensor had that extent (the embedding and the norms carry `hidden_size`,
/// so compacting the columns of `o_proj` alone does not change it) and does not end with the
/// same new extent, the config cannot describe the tensors either. Sizes declared in nested
/// objects (`text_config` of a vision-language model) are not rewritten: changing one is
/// refused the same way, never left silently stale.
extension ModelConfig {
  /// A tensor's shape before and after pruning.
  public struct Reshaping: Sendable {
    /// The tensor's name.
    public let name: String
    /// Its shape in the input.
    public let before: [Int]
    /// Its shape as written.
    public let after: [Int]

    /// A tensor's shapes before and after.
    public init(name: String, before: [Int], after: [Int]) {
      self.name = name
      self.before = before
      self.after = after
    }
  }

  /// What compaction does to a declared size.
  public enum SizeChange: Equatable, Sendable {
    /// Every site now has extent `to`.
    case uniform(key: String, from: Int, to: Int)
    /// The layers of the compacted name patterns differ: for each extent written, the sites
    /// (tensor names) that have it.
    case uneven(key: String, from: Int, sites: [Int: [String]])
    /// The compacted name patterns agree, but other tensors that had the same extent do not
    /// end with it: for each extent written, the tensors that have it.
    case unmatched(key: String, from: Int, sites: [Int: [String]])
    /// A size declared inside a nested object (`text_config.hidden_size`, the key given as
    /// its path) equals the extent of a compacted axis; it is not rewritten.
    case nested(key: String, from: Int)
  }

  /// The declared sizes that the reshaping of `tensors` changes: the top-level ones in key
  /// order, then the nested ones in path order.
  public func sizeChanges(_ tensors: [Reshaping]) -> [SizeChange] {
    var changes = [SizeChange]()
    for (key, value) in sizes.sorted(by: { $0.key < $1.key }) where Self.isDeclaredSize(key) {
      var changedAxes = Set<PatternAxis>()
      for tensor in tensors where tensor.before != tensor.after {
        for axis in tensor.before.indices
        where tensor.before[axis] == value && tensor.after[axis] != value {
          changedAxes.insert(PatternAxis(pattern: NamePattern(tensor.name).text, axis: axis))
        }
      }
      guard !changedAxes.isEmpty else { continue }
      var patternSites = [Int: [String]]()
      // Every tensor that had the extent, on any axis, listed once per extent it ends with.
      var allSites = [Int: [String]]()
      for tensor in tensors {
        let pattern = NamePattern(tensor.name).text
        var extents = Set<Int>()
        for axis in tensor.before.indices where tensor.before[axis] == value {
          if changedAxes.contains(PatternAxis(pattern: pattern, axis: axis)) {
            patternSites[tensor.after[axis], default: []].append(tensor.name)
          }
          if extents.insert(tensor.after[axis]).inserted {
            allSites[tensor.after[axis], default: []].append(tensor.name)
          }
        }
      }
      if patternSites.count > 1 {
        changes.append(.uneven(key: key, from: value, sites: patternSites))
      } else if allSites.count == 1, let extent = allSites.keys.first {
        changes.append(.uniform(key: key, from: value, to: extent))
      } else {
        changes.append(.unmatched(key: key, from: value, sites: allSites))
      }
    }
    let compactedExtents = Set(
      tensors.flatMap { tensor in
        zip(tensor.before, tensor.after).filter { $0 != $1 }.map(\.0)
      })
    for (path, value) in nestedSizes() where compactedExtents.contains(value) {
      changes.append(.nested(key: path, from: value))
    }
    return changes
  }

  /// The integer members whose names declare a size inside the objects nested in the
  /// config (at any depth, arrays included), by path (`text_config.hidden_size`,
  /// `block_configs[3].ffn.intermediate_size`), in path order.
  private func nestedSizes() -> [(path: String, value: Int)] {
    guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any]
    else { return [] }
    var found = [(path: String, value: Int)]()
    func visit(_ value: Any, path: String, name: String?) {
      if let object = value as? [String: Any] {
        for (key, member) in object { visit(member, path: "\(path).\(key)", name: key) }
      } else if let array = value as? [Any] {
        for (index, element) in array.enumerated() {
          visit(element, path: "\(path)[\(index)]", name: nil)
        }
      } else if let name, Self.isDeclaredSize(name), let number = value as? NSNumber,
        let integer = Int(exactly: number.doubleValue), integer >= 0
      {
        found.append((path, integer))
      }
    }
    for (key, member) in object where member is [String: Any] || member is [Any] {
      visit(member, path: key, name: nil)
    }
    return found.sorted { $0.path < $1.path }
  }

  /// An axis of the tensors of one name pattern.
  private struct PatternAxis: Hashable {
    /// The pattern's text: tensors of every layer share it.
    let pattern: String
    let axis: Int
  }

  /// Whether a member's name says it declares a size.
  private static func isDeclaredSize(_ key: String) -> Bool {
    key.hasSuffix("_size") || key.hasSuffix("_dim") || key == "n_inner" || key == "d_ff"
  }
}

extension ModelConfig.SizeChange: CustomStringConvertible {
  /// One line: `intermediate_size 14336 → 7168`, or what keeps the config from following.
  public var description: String {
    switch self {
    case .uniform(let key, let from, let to):
      return "\(key) \(from) → \(to)"
    case .uneven(let key, let from, let sites):
      return "\(key) \(from) would differ between layers: \(Self.kept(sites))"
    case .unmatched(let key, let from, let sites):
      return "\(key) \(from) would not match every tensor of that size: \(Self.kept(sites))"
    case .nested(let key, let from):
      return "\(key) \(from) is declared in a nested object, which --compact does not rewrite"
    }
  }

  /// What each extent's tensors keep: `model.layers.[1-31].mlp.down_proj.weight keep 8`.
  private static func kept(_ sites: [Int: [String]]) -> String {
    sites.sorted { $0.key > $1.key }.map { extent, names in
      "\(folded(names)) keep\(names.count == 1 ? "s" : "") \(extent)"
    }.joined(separator: "; ")
  }

  /// Tensor names with the layer numbers of each pattern gathered: `model.layers.[1-31]
  /// .mlp.down_proj.weight`.
  private static func folded(_ names: [String]) -> String {
    var numbersByPattern = [String: [Int]]()
    var order = [String]()
    for name in names {
      let pattern = NamePattern(name)
      if numbersByPattern[pattern.text] == nil { order.append(pattern.text) }
      numbersByPattern[pattern.text, default: []] += pattern.numbers.prefix(1)
    }
    // A size every projection and norm carries would name them all: the first few say enough.
    let shown = order.prefix(maximumPatterns).map { pattern in
      let numbers = numbersByPattern[pattern] ?? []
      guard let star = pattern.range(of: "*"), !numbers.isEmpty else { return pattern }
      return pattern.replacingCharacters(in: star, with: "[\(NamePattern.ranges(numbers))]")
    }
    let more = order.count > maximumPatterns ? ", and \(order.count - maximumPatterns) more" : ""
    return shown.joined(separator: ", ") + more
  }

  /// How many name patterns a list names before it counts the rest.
  private static let maximumPatterns = 4
}
