/// An element type whose weights SparseGPT can update: `Float`, `Float16` and `BFloat16`.
///
/// SparseGPT computes the updated weights in `Float`; a tensor of `Float16` or `BFloat16` is
/// written back by rounding each to the nearest value of its type (ties to even), so, unlike
/// a masking method's kept weights, its kept weights do not keep their bits.
public protocol UpdatableScalar: PrunableScalar {
  /// The value of this type nearest to `value`, ties to even.
  init(_ value: Float)
}

extension Float: UpdatableScalar {}

extension Float16: UpdatableScalar {}

extension BFloat16: UpdatableScalar {}
