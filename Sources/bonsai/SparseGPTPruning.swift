import Pruning
import SafeTensors

/// `--metric sparsegpt`: each selected weight is pruned by SparseGPT with its Hessian, its
/// kept weights updated (computed in Float, then rounded once to the tensor's dtype).
struct SparseGPTPruning {
  /// The configured SparseGPT.
  let sparseGPT: SparseGPT
  /// Where each weight's Hessian comes from.
  let hessians: HessianSource

  /// The library configuration of the command line's options; usage errors name the option.
  static func config(_ options: PruningOptions, blockSize: Int, dampening: Double)
    throws(CommandLineError) -> SparseGPTConfig
  {
    if options.scope == .global {
      throw .usage("--metric sparsegpt prunes each tensor (or --per-row) on its own: it cannot be combined with --scope global")
    }
    if options.iterative != nil {
      throw .usage("--metric sparsegpt cannot be combined with --iterative")
    }
    let granularity: PruningGranularity
    switch options.granularity.kind {
    case .unstructured: granularity = .unstructured
    case .semiStructured(let keep, let group): granularity = .semiStructured(keep: keep, of: group)
    default:
      throw .usage("--metric sparsegpt prunes single weights or N:M patterns, not --granularity \(options.granularity.text)")
    }
    do {
      return try SparseGPTConfig(
        sparsity: options.sparsity ?? 0.5, granularity: granularity,
        scope: options.perRow ? .perRow : .tensor, minNonzero: options.minNonzero ?? 1,
        blockSize: blockSize, dampening: dampening)
    } catch {
      let option =
        switch error {
        case .invalidBlockSize, .blockSizeNotMultipleOfGroup: "--block-size: "
        case .invalidDampening: "--dampening: "
        default: ""
        }
      throw .usage(option + error.description)
    }
  }

  /// Prunes `bytes`, the row-major elements of `tensor` in its own dtype (F32, F16, BF16),
  /// in place.
  func prune(_ bytes: UnsafeMutableRawBufferPointer, tensor: TensorInfo) throws(CommandLineError) {
    let factor = try hessians.factor(for: tensor, with: sparseGPT)
    do {
      if tensor.dtype == .f32 {
        var span = bytes.bindMemory(to: Float.self).mutableSpan
        try sparseGPT.prune(&span, shape: tensor.shape, name: tensor.name, factor: factor)
        return
      }
      var values = FloatValues.widened(UnsafeRawBufferPointer(bytes), dtype: tensor.dtype)
      var span = values.mutableSpan
      try sparseGPT.prune(&span, shape: tensor.shape, name: tensor.name, factor: factor)
      switch tensor.dtype {
      case .f16:
        let elements = bytes.bindMemory(to: Float16.self)
        for (index, value) in values.enumerated() { elements[index] = Float16(value) }
      default:
        let elements = bytes.bindMemory(to: BFloat16.self)
        for (index, value) in values.enumerated() { elements[index] = BFloat16(value) }
      }
    } catch {
      throw .failure("\(error)")
    }
  }
}
