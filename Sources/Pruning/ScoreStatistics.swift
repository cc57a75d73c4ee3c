/// Summary statistics of a set of scores (or of weight magnitudes), computed in Double.
public struct ScoreStatistics: Sendable, Hashable, Codable {
  /// The number of values summarised.
  public let count: Int
  /// The lowest value.
  public let min: Double
  /// The highest value.
  public let max: Double
  /// The arithmetic mean.
  public let mean: Double
  /// The middle value; the mean of the two middle values for an even count.
  public let median: Double
  /// The population standard deviation: √(Σ(x − mean)² / n).
  public let standardDeviation: Double

  /// The statistics of `values` (non-NaN); all zero for no values.
  ///
  /// - Complexity: O(n): the median is selected, not sorted for.
  public init(_ values: [Float]) {
    self = values.withUnsafeBufferPointer { values in
      ScoreStatistics(count: values.count, keys: ScoreArrayKeys(scores: values)) {
        Double(values[$0])
      }
    }
  }

  /// The statistics of |w| over `weights` (finite), without copying or widening them.
  public init<Scalar: PrunableScalar>(magnitudesOf weights: Span<Scalar>) {
    // The operation only reads the buffer.
    self = weights.withUnsafeBufferPointer {
      MagnitudeStatistics().runSpecialized(.init(mutating: $0))
    }
  }

  /// The statistics of |w|, as a `ScalarOperation` so that they run specialised.
  private struct MagnitudeStatistics: ScalarOperation {
    func run<Scalar: PrunableScalar>(_ weights: UnsafeMutableBufferPointer<Scalar>)
      -> ScoreStatistics
    {
      let weights = UnsafeBufferPointer(weights)
      return ScoreStatistics(
        count: weights.count, keys: MagnitudeKeys(values: weights, squared: false)
      ) { Double(abs(weights[$0].widened)) }
    }
  }

  /// The statistics of `valueAt(i)` for i in 0 ..< count, whose order `keys` gives.
  private init<Keys: KeySource>(count: Int, keys: Keys, valueAt: (Int) -> Double) {
    self.count = count
    guard count > 0 else {
      (min, max, mean, median, standardDeviation) = (0, 0, 0, 0, 0)
      return
    }
    var (low, high, sum) = (Double.infinity, -Double.infinity, 0.0)
    for index in 0 ..< count {
      let x = valueAt(index)
      (low, high, sum) = (Swift.min(low, x), Swift.max(high, x), sum + x)
    }
    let mean = sum / Double(count)
    var squares = 0.0
    for index in 0 ..< count {
      let deviation = valueAt(index) - mean
      squares += deviation * deviation
    }
    func ranked(_ rank: Int) -> Double {
      Double(ScoreKey.score(LowestKSelection.key(ofRank: rank, in: keys)))
    }
    let upperMiddle = ranked(count / 2)
    self.min = low
    self.max = high
    self.mean = mean
    self.median = count % 2 == 1 ? upperMiddle : (ranked(count / 2 - 1) + upperMiddle) / 2
    self.standardDeviation = (squares / Double(count)).squareRoot()
  }
}
