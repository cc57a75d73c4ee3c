import Foundation

/// Which sizes a config declares that compaction changes, so that a compacted folder still
/// loads: when `--compact` removes the same number of MLP channels from every layer,
/// `intermediate_size` must say the new width.
///
/// The rule: a declared size is a top-level integer member whose name ends in `_size` or
/// `_dim`, or is `n_inner` or `d_ff`. It changes when some tensor was compacted along an
/// axis whose extent equalled its value. Its sites are then every tensor of the same name
/// pattern (layer numbers folded, see ``NamePattern``) whose extent along that axis equalled
/// the value, compacted or not; when all of them now have the same extent, that is the new
/// value, and when they differ the layers disagree and the config cannot describe them.
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
    /// The sites differ: for each extent written, the sites (tensor names) that have it.
    case uneven(key: String, from: Int, sites: [Int: [String]])
  }

  /// The declared sizes that the reshaping of `tensors` changes, in key order.
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
      var sites = [Int: [String]]()
      for tensor in tensors {
        let pattern = NamePattern(tensor.name).text
        for axis in tensor.before.indices
        where tensor.before[axis] == value
          && changedAxes.contains(PatternAxis(pattern: pattern, axis: axis))
        {
          sites[tensor.after[axis], default: []].append(tensor.name)
        }
      }
      if sites.count == 1, let extent = sites.keys.first {
        changes.append(.uniform(key: key, from: value, to: extent))
      } else {
        changes.append(.uneven(key: key, from: value, sites: sites))
      }
    }
    return changes
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
  /// One line: `intermediate_size 14336 → 7168`, or the layers and what each keeps.
  public var description: String {
    switch self {
    case .uniform(let key, let from, let to):
      return "\(key) \(from) → \(to)"
    case .uneven(let key, let from, let sites):
      let kept = sites.sorted { $0.key > $1.key }.map { extent, names in
        "\(Self.folded(names)) keep\(names.count == 1 ? "s" : "") \(extent)"
      }
      return "\(key) \(from) would differ between layers: \(kept.joined(separator: "; "))"
    }
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
    return order.map { pattern in
      let numbers = numbersByPattern[pattern] ?? []
      guard let star = pattern.range(of: "*"), !numbers.isEmpty else { return pattern }
      return pattern.replacingCharacters(in: star, with: "[\(NamePattern.ranges(numbers))]")
    }.joined(separator: ", ")
  }
}
