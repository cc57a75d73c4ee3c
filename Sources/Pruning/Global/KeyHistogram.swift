/// Exact counts of the ranking keys of some tensors of a global ranking, as one machine of a
/// split ranking reports them (see `Pruner.keyHistogram(_:firstUnits:highBin:)`): the counts
/// of disjoint sets of tensors merge by adding, so that a driver learns where the k-th lowest
/// key of the whole ranking lies without any machine holding every tensor.
public struct KeyHistogram: Codable, Sendable, Equatable {
  /// Nil when every key is counted by its upper 16 bits; otherwise only the keys whose upper
  /// 16 bits are `highBin` are counted, by their lower 16 bits.
  public let highBin: UInt32?
  /// Per tensor name, its nonempty bins as `[bin, count]` pairs in bin order.
  public private(set) var tensors: [String: [[Int]]]
  /// How many of the keys are 0 (weights an earlier round zeroed, with `iterative`); counted
  /// when `highBin` is nil, else 0.
  public private(set) var zeroKeys: Int

  /// A histogram of the given bins.
  init(highBin: UInt32?, tensors: [String: [[Int]]], zeroKeys: Int) {
    self.highBin = highBin
    self.tensors = tensors
    self.zeroKeys = zeroKeys
  }

  /// The counts of no tensor.
  public static func empty(highBin: UInt32?) -> KeyHistogram {
    KeyHistogram(highBin: highBin, tensors: [:], zeroKeys: 0)
  }

  /// Adds the counts of `other`, which counts other tensors with the same `highBin`.
  ///
  /// - Returns: false, changing nothing, when `other` counts another bin or a tensor
  ///   already counted here.
  public mutating func merge(_ other: KeyHistogram) -> Bool {
    guard other.highBin == highBin, Set(other.tensors.keys).isDisjoint(with: tensors.keys) else {
      return false
    }
    tensors.merge(other.tensors) { first, _ in first }
    zeroKeys += other.zeroKeys
    return true
  }

  /// The counts of every bin over all tensors.
  var totals: [Int] {
    var totals = [Int](repeating: 0, count: 1 << 16)
    for bins in tensors.values {
      for pair in bins { totals[pair[0]] += pair[1] }
    }
    return totals
  }

  /// How many keys of tensor `name` fall in `bin`.
  func count(of name: String, in bin: UInt32) -> Int {
    tensors[name]?.first { $0[0] == Int(bin) }?[1] ?? 0
  }
}
