/// Row or column norms of a caller's matrix (`UnitScores`: `cblas_snrm2` or the C kernel's
/// sum of |x| per row, the C kernel per column), after checking that its elements are finite, run specialised for its scalar
/// type: the norms behind `ChannelScores` and `ActivationNorms`. With no `kind`, only the check runs.
struct CheckedNorms: ScalarOperation {
  let rows: Int
  let columns: Int
  let kind: NormKind?
  /// Row norms when true, column norms otherwise.
  let alongRows: Bool
  /// What an error names.
  let name: String
  let threads: Int

  /// The norms of `values`, a row-major `rows × columns` matrix (it is only read).
  func run<Scalar: PrunableScalar>(_ values: UnsafeMutableBufferPointer<Scalar>)
    throws(PruningError) -> [Float]
  {
    let readable = UnsafeBufferPointer(values)
    try NonFiniteCount.check(readable, name: name, threads: threads)
    guard let kind else { return [] }
    return alongRows
      ? UnitScores.rowNorms(readable, rows: rows, columns: columns, kind: kind, threads: threads)
      : UnitScores.columnNorms(
        readable, rows: rows, columns: columns, kind: kind, threads: threads)
  }

  /// The norms of `values`, read where they lie.
  func norms<Scalar: PrunableScalar>(of values: Span<Scalar>) throws(PruningError) -> [Float] {
    try values.withUnsafeBufferPointer { values throws(PruningError) in
      try runSpecialized(UnsafeMutableBufferPointer(mutating: values))
    }
  }
}
