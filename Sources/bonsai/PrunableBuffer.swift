import Pruning
import SafeTensors

/// Prunes the bytes of one tensor in place, in the tensor's own dtype.
enum PrunableBuffer {
  /// Prunes `bytes`, the row-major elements of a tensor of `dtype` (F32, F16 or BF16), in
  /// place: pruned elements become +0, kept ones keep their bits.
  ///
  /// `bytes` must be aligned for the element type (the caller's buffer is 64-byte aligned).
  static func prune(
    _ bytes: UnsafeMutableRawBufferPointer, dtype: DType, shape: [Int], name: String,
    with pruner: Pruner
  ) throws(PruningError) {
    switch dtype {
    case .f32: try prune(bytes, as: Float.self, shape: shape, name: name, with: pruner)
    case .f16: try prune(bytes, as: Float16.self, shape: shape, name: name, with: pruner)
    case .bf16: try prune(bytes, as: BFloat16.self, shape: shape, name: name, with: pruner)
    default: preconditionFailure("dtype \(dtype) is not prunable; the selection excludes it")
    }
  }

  private static func prune<Scalar: PrunableScalar>(
    _ bytes: UnsafeMutableRawBufferPointer, as: Scalar.Type, shape: [Int], name: String,
    with pruner: Pruner
  ) throws(PruningError) {
    let elements = bytes.bindMemory(to: Scalar.self)
    var span = elements.mutableSpan
    _ = try pruner.prune(&span, shape: shape, name: name)
  }
}
