/// How sparse one tensor is: its zeros counted, not assumed from a configuration.
public struct SparsityReport: Sendable, Hashable, Codable {
  /// The tensor's name.
  public let name: String
  /// The tensor's shape.
  public let shape: [Int]
  /// The number of elements.
  public let total: Int
  /// The number of elements that are not zero (±0 count as zero; NaN does not).
  public let nonzero: Int
  /// The fraction of elements that are zero: (total − nonzero) / total; 0 for no elements.
  public let sparsity: Double
  /// The fraction of elements that are zero, under the reference's name; equals `sparsity`.
  public let zeroFraction: Double
  /// The fraction of elements that are not zero: 1 − sparsity.
  public let density: Double

  /// A report from counts.
  ///
  /// - Throws: `PruningError.inconsistentCounts` unless 0 ≤ nonzero ≤ total.
  public init(name: String, shape: [Int], total: Int, nonzero: Int) throws(PruningError) {
    guard total >= 0 && nonzero >= 0 && nonzero <= total else {
      throw .inconsistentCounts(name: name, total: total, nonzero: nonzero)
    }
    self.init(counted: name, shape: shape, total: total, nonzero: nonzero)
  }

  /// A report from counts taken by this module, which are consistent.
  private init(counted name: String, shape: [Int], total: Int, nonzero: Int) {
    self.name = name
    self.shape = shape
    self.total = total
    self.nonzero = nonzero
    self.sparsity = total == 0 ? 0 : Double(total - nonzero) / Double(total)
    self.zeroFraction = sparsity
    self.density = 1 - sparsity
  }

  /// The report of a tensor.
  public init(_ tensor: WeightTensor) {
    self.init(name: tensor.name, shape: tensor.shape, values: tensor.values.span)
  }

  /// The report of weights of any prunable type, counted where they lie.
  public init<Scalar: PrunableScalar>(name: String, shape: [Int], values: Span<Scalar>) {
    self.init(counted: name, shape: shape, total: values.count, nonzero: values.nonzeroCount)
  }

  /// One line: `fc1.weight [512, 2048]: 524288 of 1048576 nonzero, sparsity 50.00%`.
  public var summary: String {
    "\(name) \(shape): \(nonzero) of \(total) nonzero, sparsity \(Percent(sparsity))"
  }
}

/// How sparse a whole model is: the per-tensor reports and their totals.
public struct ModelSparsityReport: Sendable, Hashable, Codable {
  /// One report per tensor, in model order.
  public let tensors: [SparsityReport]
  /// The number of elements over all tensors.
  public let total: Int
  /// The number of nonzero elements over all tensors.
  public let nonzero: Int
  /// The fraction of all elements that are zero.
  public let overallSparsity: Double

  /// The totals of `tensors`.
  public init(tensors: [SparsityReport]) {
    self.tensors = tensors
    self.total = tensors.reduce(0) { $0 + $1.total }
    self.nonzero = tensors.reduce(0) { $0 + $1.nonzero }
    self.overallSparsity = total == 0 ? 0 : Double(total - nonzero) / Double(total)
  }

  /// The report of a model's tensors.
  public init(_ model: [WeightTensor]) {
    self.init(tensors: model.map(SparsityReport.init))
  }

  /// One line: `3 tensors, 2621440 of 5242880 nonzero, overall sparsity 50.00%`.
  public var summary: String {
    "\(tensors.count) tensor\(tensors.count == 1 ? "" : "s"), \(nonzero) of \(total) nonzero, "
      + "overall sparsity \(Percent(overallSparsity))"
  }
}

/// A fraction printed as a percentage with two decimals: `0.5` → `50.00%`. Only 1 reads
/// `100.00%` and only 0 reads `0.00%`: a fraction just short of 1 (one weight survives)
/// reads `99.99%`, one just above 0 reads `0.01%`.
public struct Percent: CustomStringConvertible, Sendable {
  /// The fraction.
  public let fraction: Double

  /// A percentage of `fraction`.
  public init(_ fraction: Double) {
    self.fraction = fraction
  }

  /// `50.00%`, `-0.51%`; `nan%`, `inf%` and beyond ±10¹⁴ % the plain Double.
  public var description: String {
    let scaled = (abs(fraction) * 10_000).rounded()
    guard scaled < 1e18 else { return "\(fraction * 100)%" }
    // Only an exact 0 or 1 reads 0.00% or 100.00%: one pruned or one surviving weight shows.
    let hundredths = fraction > 0 && fraction < 1 ? min(max(Int(scaled), 1), 9_999) : Int(scaled)
    let sign = fraction < 0 && hundredths != 0 ? "-" : ""
    let fractional = String(hundredths % 100)
    return "\(sign)\(hundredths / 100).\(fractional.count == 1 ? "0" : "")\(fractional)%"
  }
}
