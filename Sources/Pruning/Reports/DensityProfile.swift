/// How many rows (or columns) of a matrix keep what fraction of their weights: the sign of
/// structure. Pruning whole rows leaves rows that are empty or full; N:M and per-row
/// rankings leave every row at the same fraction; unstructured pruning spreads them.
public struct DensityProfile: Sendable, Hashable {
  /// The number of lines with no nonzero element.
  public let empty: Int
  /// The number of lines with every element nonzero.
  public let full: Int
  /// The number of the other lines by tenths of their fraction nonzero: bin `b` holds the
  /// fractions in `[b/10, (b+1)/10)`, ten bins.
  public let partial: [Int]

  /// The number of lines counted.
  public var count: Int { empty + full + partial.reduce(0, +) }

  /// The profile of lines of `length` elements, each with its nonzero count.
  init(nonzeroCounts: some Sequence<Int>, length: Int) {
    var (empty, full, partial) = (0, 0, [Int](repeating: 0, count: 10))
    for nonzero in nonzeroCounts {
      if nonzero == 0 {
        empty += 1
      } else if nonzero == length {
        full += 1
      } else {
        partial[nonzero * 10 / length] += 1
      }
    }
    (self.empty, self.full, self.partial) = (empty, full, partial)
  }
}
