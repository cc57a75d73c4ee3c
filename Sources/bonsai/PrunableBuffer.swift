import Pruning
import SafeTensors

/// The library's operations on one tensor's bytes, in the tensor's own dtype (F32, F16 or
/// BF16: callers check `DType.isPrunable`).
enum PrunableBuffer {
  /// Prunes `bytes`, the row-major elements of a tensor of `dtype`, in place: pruned
  /// elements become +0, kept ones keep their bits. With `cut`, the tensor is pruned by its
  /// share of a global ranking.
  ///
  /// `bytes` must be aligned for the element type (the caller's buffer is 64-byte aligned).
  @discardableResult
  static func prune(
    _ bytes: UnsafeMutableRawBufferPointer, dtype: DType, shape: [Int], name: String,
    with pruner: Pruner, input: ScoreInput?, following cut: GlobalCut?
  ) throws(PruningError) -> PruningMask {
    try prune(bytes, as: dtype.checkedPrunableScalar, shape, name, pruner, input, cut)
  }

  private static func prune<Scalar: PrunableScalar>(
    _ bytes: UnsafeMutableRawBufferPointer, as: Scalar.Type, _ shape: [Int], _ name: String,
    _ pruner: Pruner, _ input: ScoreInput?, _ cut: GlobalCut?
  ) throws(PruningError) -> PruningMask {
    var span = bytes.bindMemory(to: Scalar.self).mutableSpan
    if let cut {
      return try pruner.prune(&span, shape: shape, name: name, input: input, following: cut)
    }
    return try pruner.prune(&span, shape: shape, name: name, input: input)
  }

  /// A view of a tensor's bytes as a `RankedTensor` of its dtype, for a global ranking.
  static func ranked(
    _ bytes: UnsafeRawBufferPointer, info: TensorInfo, input: ScoreInput?,
    release: @escaping () -> Void
  ) throws(PruningError) -> RankedTensor {
    try RankedTensor(
      name: info.name, shape: info.shape, bytes: bytes, as: info.dtype.checkedPrunableScalar, input: input,
      release: release)
  }

  /// Whether `bytes` (a matrix of `columns` columns) holds at most `keep` nonzero weights in
  /// every group of `group` along its rows.
  static func satisfiesPattern(
    _ bytes: UnsafeRawBufferPointer, dtype: DType, columns: Int, keep: Int, of group: Int
  ) -> Bool {
    func check<Scalar: PrunableScalar>(_: Scalar.Type) -> Bool {
      withAlignedElements(bytes, as: Scalar.self) {
        SemiStructuredPattern.isSatisfied(by: $0, columns: columns, keep: keep, of: group)
      }
    }
    return check(dtype.checkedPrunableScalar)
  }

  /// Adds a member of a channel group to its scores.
  static func addToChannels(
    _ scores: inout ChannelScores, _ bytes: UnsafeRawBufferPointer, info: TensorInfo,
    asProducer: Bool
  ) throws(PruningError) {
    func add<Scalar: PrunableScalar>(_: Scalar.Type) throws(PruningError) {
      let result = withAlignedElements(bytes, as: Scalar.self) { span in
        Result { () throws(PruningError) in
          asProducer
            ? try scores.addProducer(span, shape: info.shape, name: info.name)
            : try scores.addConsumer(span, shape: info.shape, name: info.name)
        }
      }
      try result.get()
    }
    try add(info.dtype.checkedPrunableScalar)
  }
}
