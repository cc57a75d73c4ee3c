/// Exact counts of the ranking keys of some tensors of a global ranking, as one machine of a
/// split ranking reports them (see `Pruner.keyHistogram(_:firstUnits:highBin:)`): the counts
/// of disjoint sets of tensors merge by adding, so that a driver learns where the k-th lowest
/// key of the whole ranking lies without any machine holding every tensor.
///
/// The first round counts every key by its upper 16 bits, over all the tensors together (up
/// to 65 536 bins whatever the number of tensors); the second counts the keys of one
/// upper-16-bit bin by their lower 16 bits, tensor by tensor, since the cut needs each
/// tensor's count of keys equal to the threshold — and one bin holds few keys.
public struct KeyHistogram: Codable, Sendable, Equatable {
  /// Nil when every key is counted by its upper 16 bits; otherwise only the keys whose upper
  /// 16 bits are `highBin` are counted, by their lower 16 bits.
  public let highBin: UInt32?
  /// The names of the tensors counted.
  public private(set) var tensors: Set<String>
  /// The nonempty bins over all the tensors, as `[bin, count]` pairs in bin order.
  public private(set) var bins: [[Int]]
  /// With `highBin`, per tensor name, its nonempty bins as `[bin, count]` pairs.
  public private(set) var binsByTensor: [String: [[Int]]]
  /// How many of the keys are 0 (weights an earlier round zeroed, with `iterative`); counted
  /// when `highBin` is nil, else 0.
  public private(set) var zeroKeys: Int

  /// A histogram of the given counts.
  init(highBin: UInt32?, tensors: Set<String>, bins: [[Int]], binsByTensor: [String: [[Int]]], zeroKeys: Int) {
    self.highBin = highBin
    self.tensors = tensors
    self.bins = bins
    self.binsByTensor = binsByTensor
    self.zeroKeys = zeroKeys
  }

  /// The counts of no tensor.
  public static func empty(highBin: UInt32?) -> KeyHistogram {
    KeyHistogram(highBin: highBin, tensors: [], bins: [], binsByTensor: [:], zeroKeys: 0)
  }

  /// Adds the counts of `other`, which counts other tensors with the same `highBin`.
  ///
  /// - Returns: false, changing nothing, when `other` counts another bin or a tensor
  ///   already counted here.
  public mutating func merge(_ other: KeyHistogram) -> Bool {
    guard other.highBin == highBin, other.tensors.isDisjoint(with: tensors) else { return false }
    var totals = self.totals
    for pair in other.bins { totals[pair[0]] += pair[1] }
    bins = Self.pairs(totals)
    tensors.formUnion(other.tensors)
    binsByTensor.merge(other.binsByTensor) { first, _ in first }
    zeroKeys += other.zeroKeys
    return true
  }

  /// The counts of every bin over all tensors.
  var totals: [Int] {
    var totals = [Int](repeating: 0, count: 1 << 16)
    for pair in bins { totals[pair[0]] += pair[1] }
    return totals
  }

  /// How many keys of tensor `name` fall in `bin` (counted with a `highBin`).
  func count(of name: String, in bin: UInt32) -> Int {
    binsByTensor[name]?.first { $0[0] == Int(bin) }?[1] ?? 0
  }

  /// The nonempty bins of `counts` as `[bin, count]` pairs.
  static func pairs(_ counts: [Int]) -> [[Int]] {
    counts.indices.filter { counts[$0] != 0 }.map { [$0, counts[$0]] }
  }
}
