/// The gradual pruning schedule of Zhu & Gupta (2017), TensorFlow Model Optimization's
/// `PolynomialDecay` with power 3: sparsity rises from `initial` at `startStep` to `final`
/// at `endStep`, fast at first and slowly at the end.
///
/// ```
/// p   = clamp((t − t0) / (t1 − t0), 0, 1)
/// s_t = s_f + (s_i − s_f) · (1 − p)³
/// ```
/// Before `startStep` it is `initial`, from `endStep` on `final`. Prune with
/// `iterative: .total` at each step's sparsity to follow it.
public struct GradualSchedule: Sendable, Hashable, Codable {
  /// The sparsity at and before `startStep`, in [0, 1).
  public let initial: Double
  /// The sparsity at and after `endStep`, in [0, 1).
  public let final: Double
  /// The step at which pruning starts (t0).
  public let startStep: Int
  /// The step at which the final sparsity is reached (t1 ≥ t0).
  public let endStep: Int

  /// A schedule, its ranges checked.
  ///
  /// - Throws: `PruningError.invalidSchedule` for a sparsity outside [0, 1) or
  ///   `endStep < startStep`.
  public init(initial: Double = 0, final: Double, startStep: Int, endStep: Int)
    throws(PruningError)
  {
    for (name, value) in [("initial", initial), ("final", final)] where !(value >= 0 && value < 1) {
      throw .invalidSchedule("\(name) sparsity \(value) is outside [0, 1)")
    }
    guard endStep >= startStep else {
      throw .invalidSchedule("end step \(endStep) is before start step \(startStep)")
    }
    self.initial = initial
    self.final = final
    self.startStep = startStep
    self.endStep = endStep
  }

  /// The sparsity to reach at `step`: exactly `initial` up to `startStep` (where the formula
  /// would round s_f + (s_i − s_f) to a neighbour of s_i), exactly `final` from `endStep`.
  public func sparsity(atStep step: Int) -> Double {
    guard step < endStep else { return final }
    guard step > startStep else { return initial }
    // Differences of steps in order fit a UInt exactly, whatever their size; as Doubles the
    // steps themselves would round together near Int.max.
    let elapsed = UInt(bitPattern: step &- startStep)
    let span = UInt(bitPattern: endStep &- startStep)
    let remaining = 1 - Double(elapsed) / Double(span)
    return final + (initial - final) * (remaining * remaining * remaining)
  }
}

extension GradualSchedule {
  /// Decodes a schedule through the checking initializer.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    try self.init(
      initial: container.decode(Double.self, forKey: .initial),
      final: container.decode(Double.self, forKey: .final),
      startStep: container.decode(Int.self, forKey: .startStep),
      endStep: container.decode(Int.self, forKey: .endStep))
  }
}
