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

  private enum CodingKeys: String, CodingKey {
    case highBin, tensors, bins, binsByTensor, zeroKeys
  }

  /// Decodes a histogram and checks it as counting makes one: bins below 65 536 in
  /// ascending order with positive counts, per-tensor bins (only with `highBin`, only of
  /// counted tensors) that add up to `bins`, and at most as many zero keys as keys.
  ///
  /// - Throws: `DecodingError.dataCorrupted` naming the field and what is wrong.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    let corrupt = { (key: CodingKeys, problem: String) in
      DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: problem)
    }
    highBin = try container.decodeIfPresent(UInt32.self, forKey: .highBin)
    if let highBin, highBin > 0xFFFF {
      throw corrupt(.highBin, "bin \(highBin) is not an upper-16-bit bin (at most 65535)")
    }
    tensors = try container.decode(Set<String>.self, forKey: .tensors)
    bins = try container.decode([[Int]].self, forKey: .bins)
    binsByTensor = try container.decode([String: [[Int]]].self, forKey: .binsByTensor)
    zeroKeys = try container.decode(Int.self, forKey: .zeroKeys)
    do {
      let total = try Self.checkedTotal(bins)
      guard highBin != nil || binsByTensor.isEmpty else {
        throw corrupt(.binsByTensor, "per-tensor bins are counted only inside a highBin")
      }
      if highBin != nil {
        var totals = [Int](repeating: 0, count: 1 << 16)
        for (name, pairs) in binsByTensor.sorted(by: { $0.key < $1.key }) {
          guard tensors.contains(name) else {
            throw corrupt(.binsByTensor, "tensor \"\(name)\" is not one of the tensors counted")
          }
          _ = try Self.checkedTotal(pairs)
          for pair in pairs {
            let (sum, overflow) = totals[pair[0]].addingReportingOverflow(pair[1])
            guard !overflow else { throw corrupt(.binsByTensor, "counts overflow") }
            totals[pair[0]] = sum
          }
        }
        guard Self.pairs(totals) == bins else {
          throw corrupt(.binsByTensor, "the per-tensor bins do not add up to bins")
        }
      }
      guard (0 ... total).contains(zeroKeys), highBin == nil || zeroKeys == 0 else {
        throw corrupt(.zeroKeys, "\(zeroKeys) zero keys among \(total) keys counted")
      }
    } catch let problem as BinProblem {
      throw corrupt(.bins, problem.description)
    }
  }

  /// What is wrong with a list of `[bin, count]` pairs.
  private struct BinProblem: Error, CustomStringConvertible {
    let description: String
  }

  /// The sum of the counts of `[bin, count]` pairs that are pairs, of bins below 65 536 in
  /// ascending order, with positive counts that add up without overflow.
  private static func checkedTotal(_ pairs: [[Int]]) throws(BinProblem) -> Int {
    var total = 0
    var previous = -1
    for pair in pairs {
      guard pair.count == 2 else { throw BinProblem(description: "\(pair) is not a [bin, count] pair") }
      guard pair[0] > previous, pair[0] <= 0xFFFF else {
        throw BinProblem(
          description: "bin \(pair[0]) is out of order or not a 16-bit bin (0 to 65535, ascending)")
      }
      guard pair[1] > 0 else { throw BinProblem(description: "bin \(pair[0]) has count \(pair[1])") }
      let (sum, overflow) = total.addingReportingOverflow(pair[1])
      guard !overflow else { throw BinProblem(description: "the counts overflow") }
      total = sum
      previous = pair[0]
    }
    return total
  }

  /// How many keys are counted in all.
  public var keyCount: Int {
    bins.reduce(0) { $0 &+ $1[1] }
  }

  /// The counts of no tensor.
  public static func empty(highBin: UInt32?) -> KeyHistogram {
    KeyHistogram(highBin: highBin, tensors: [], bins: [], binsByTensor: [:], zeroKeys: 0)
  }

  /// Adds the counts of `other`, which counts other tensors with the same `highBin`.
  ///
  /// - Returns: false, changing nothing, when `other` counts another bin or a tensor
  ///   already counted here, or when the counts together would overflow.
  public mutating func merge(_ other: KeyHistogram) -> Bool {
    guard other.highBin == highBin, other.tensors.isDisjoint(with: tensors),
      !keyCount.addingReportingOverflow(other.keyCount).overflow
    else { return false }
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
