// Public entry points are generic over `PrunableScalar`, and generic code called across a
// module boundary runs unspecialised: every element access would go through a witness
// table, ~30× slower than the specialised loops. So each public generic entry hands its
// buffer to a `ScalarOperation`, which is run with the concrete type for the three scalar
// types Bonsai ships, letting the optimiser specialise the whole pipeline for each.
//
// This works only where the operation's type is concrete at the call: call
// `runSpecialized` directly from the public entry point (or a closure written there), never
// from other generic code over `ScalarOperation`, or `run` is reached through its witness,
// unspecialised.

/// Work over a buffer of weights that must run specialised for its concrete scalar type.
protocol ScalarOperation {
  associatedtype Result
  associatedtype Failure: Error

  /// Runs the operation on `values`.
  func run<Scalar: PrunableScalar>(_ values: UnsafeMutableBufferPointer<Scalar>) throws(Failure)
    -> Result
}

extension ScalarOperation {
  /// Runs the operation on `values` as `Float`, `Float16` or `BFloat16` when `Scalar` is
  /// one of them, generically otherwise. Always inlined, so that the caller's concrete
  /// operation type meets the concrete scalar types and both are specialised.
  @inline(__always)
  func runSpecialized<Scalar: PrunableScalar>(_ values: UnsafeMutableBufferPointer<Scalar>)
    throws(Failure) -> Result
  {
    let raw = UnsafeMutableRawBufferPointer(values)
    if Scalar.self == Float.self { return try run(raw.assumingMemoryBound(to: Float.self)) }
    if Scalar.self == Float16.self { return try run(raw.assumingMemoryBound(to: Float16.self)) }
    if Scalar.self == BFloat16.self { return try run(raw.assumingMemoryBound(to: BFloat16.self)) }
    return try run(values)
  }

}
