import Pruning
import SafeTensors

/// Prunes the bytes of one tensor in place, in the tensor's own dtype.
enum PrunableBuffer {
  /// Prunes `bytes`, the row-major elements of a tensor of `dtype` (F32, F16 or BF16), in
  /// place: pruned elements become +0, kept ones keep their bits. With `cut`, the tensor is
  /// pruned by its share of a global ranking.
  ///
  /// `bytes` must be aligned for the element type (the caller's buffer is 64-byte aligned).
  @discardableResult
  static func prune(
    _ bytes: UnsafeMutableRawBufferPointer, dtype: DType, shape: [Int], name: String,
    with pruner: Pruner, input: ScoreInput?, following cut: GlobalCut?
  ) throws(PruningError) -> PruningMask {
    switch dtype {
    case .f32: try prune(bytes, as: Float.self, shape, name, pruner, input, cut)
    case .f16: try prune(bytes, as: Float16.self, shape, name, pruner, input, cut)
    case .bf16: try prune(bytes, as: BFloat16.self, shape, name, pruner, input, cut)
    default: preconditionFailure("dtype \(dtype) is not prunable; the selection excludes it")
    }
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
    switch info.dtype {
    case .f32:
      try RankedTensor(name: info.name, shape: info.shape, bytes: bytes, as: Float.self, input: input, release: release)
    case .f16:
      try RankedTensor(name: info.name, shape: info.shape, bytes: bytes, as: Float16.self, input: input, release: release)
    case .bf16:
      try RankedTensor(name: info.name, shape: info.shape, bytes: bytes, as: BFloat16.self, input: input, release: release)
    default: preconditionFailure("dtype \(info.dtype) is not prunable; the selection excludes it")
    }
  }

  /// Whether `bytes` (a matrix of `columns` columns) holds at most `keep` nonzero weights in
  /// every group of `group` along its rows.
  static func satisfiesPattern(
    _ bytes: UnsafeRawBufferPointer, dtype: DType, columns: Int, keep: Int, of group: Int
  ) -> Bool {
    switch dtype {
    case .f32: withAlignedElements(bytes, as: Float.self) { SemiStructuredPattern.isSatisfied(by: $0, columns: columns, keep: keep, of: group) }
    case .f16: withAlignedElements(bytes, as: Float16.self) { SemiStructuredPattern.isSatisfied(by: $0, columns: columns, keep: keep, of: group) }
    case .bf16: withAlignedElements(bytes, as: BFloat16.self) { SemiStructuredPattern.isSatisfied(by: $0, columns: columns, keep: keep, of: group) }
    default: false
    }
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
    switch info.dtype {
    case .f32: try add(Float.self)
    case .f16: try add(Float16.self)
    case .bf16: try add(BFloat16.self)
    default: preconditionFailure("dtype \(info.dtype) is not prunable; the pairing excludes it")
    }
  }
}
