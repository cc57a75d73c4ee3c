import Pruning
import SafeTensors

/// The library's operations on one tensor's bytes, in the tensor's own dtype (F32, F16 or
/// BF16: callers check `DType.isPrunable`).
enum PrunableBuffer {
  /// The mask pruning `bytes`, the row-major elements of a tensor of `dtype`, would give,
  /// without writing them: a dry run over the tensor where it lies (the mapped input). With
  /// `cut`, the tensor's share of a global ranking.
  static func mask(
    of bytes: UnsafeRawBufferPointer, dtype: DType, shape: [Int], name: String,
    with pruner: Pruner, input: ScoreInput?, following cut: GlobalCut?
  ) throws(PruningError) -> PruningMask {
    func dryRun<Scalar: PrunableScalar>(_: Scalar.Type) throws(PruningError) -> PruningMask {
      try withAlignedElements(bytes, as: Scalar.self) { span in
        Result { () throws(PruningError) in
          if let cut {
            try pruner.mask(of: span, shape: shape, name: name, input: input, following: cut)
          } else {
            try pruner.mask(of: span, shape: shape, name: name, input: input)
          }
        }
      }.get()
    }
    return try dryRun(dtype.checkedPrunableScalar)
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
