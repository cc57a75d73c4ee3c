extension Span where Element: PrunableScalar {
  /// The elements widened to `Float` (exact), run specialised for the element type — for
  /// callers that hold `Float16` or `BFloat16` gradients or norms and need `Float`s.
  public func widened() -> [Float] {
    withUnsafeBufferPointer { Widening().runSpecialized(.init(mutating: $0)) }
  }
}

/// Widening to `Float` as a `ScalarOperation`; it only reads.
private struct Widening: ScalarOperation {
  func run<Scalar: PrunableScalar>(_ values: UnsafeMutableBufferPointer<Scalar>) -> [Float] {
    values.map(\.widened)
  }
}
