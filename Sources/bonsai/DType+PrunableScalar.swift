import Pruning
import SafeTensors

extension DType {
  /// The element type Bonsai scores and prunes in place for this dtype — `Float`, `Float16`
  /// or `BFloat16` for F32, F16 and BF16 — or nil for every other dtype. The one place that
  /// maps dtypes to element types: callers open the type and run generic code with it.
  var prunableScalar: (any PrunableScalar.Type)? {
    switch self {
    case .f32: Float.self
    case .f16: Float16.self
    case .bf16: BFloat16.self
    default: nil
    }
  }

  /// The element type of a dtype the caller has checked is prunable; any other traps.
  var checkedPrunableScalar: any PrunableScalar.Type {
    guard let scalar = prunableScalar else {
      preconditionFailure("dtype \(self) is not prunable; the caller checks isPrunable")
    }
    return scalar
  }

  /// Whether Bonsai prunes tensors of this dtype (F32, F16, BF16).
  var isPrunable: Bool { prunableScalar != nil }
}
