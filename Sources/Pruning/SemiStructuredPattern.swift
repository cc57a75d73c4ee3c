/// Checking an N:M pattern on weights as they are, whoever pruned them.
public enum SemiStructuredPattern {
  /// Whether every group of `group` consecutive weights along each row of the row-major
  /// `[rows, columns]` matrix `values` holds at most `keep` nonzero weights (±0 count as
  /// zero). A row length that is not a multiple of `group` never satisfies the pattern.
  public static func isSatisfied<Scalar: PrunableScalar>(
    by values: Span<Scalar>, columns: Int, keep: Int, of group: Int
  ) -> Bool {
    guard group >= 1, columns >= 1, columns % group == 0, values.count % columns == 0 else {
      return false
    }
    return values.withUnsafeBufferPointer { values in
      Check(keep: keep, group: group).runSpecialized(UnsafeMutableBufferPointer(mutating: values))
    }
  }

  /// The check as a `ScalarOperation`, so that it runs specialised; it only reads.
  private struct Check: ScalarOperation {
    let keep: Int
    let group: Int

    func run<Scalar: PrunableScalar>(_ values: UnsafeMutableBufferPointer<Scalar>) -> Bool {
      values.withMemoryRebound(to: Scalar.Bits.self) { bits in
        let magnitude = Scalar.Bits.max >> 1
        for start in stride(from: 0, to: bits.count, by: group) {
          var nonzero = 0
          for index in start ..< start + group {
            nonzero &+= bits[index] & magnitude == 0 ? 0 : 1
          }
          if nonzero > keep { return false }
        }
        return true
      }
    }
  }
}
