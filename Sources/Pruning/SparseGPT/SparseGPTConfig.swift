/// What SparseGPT prunes and how: the count rule of `PruningConfig` (unstructured per tensor
/// or per row, or an N:M pattern) plus the block size and the dampening of the Hessian.
public struct SparseGPTConfig: Sendable, Hashable, Codable {
  /// How many weights are pruned and in which groups; its metric is not used (SparseGPT
  /// scores by w² / [H⁻¹]ᵢᵢ²).
  public let selection: PruningConfig
  /// Columns per block: the OBS update runs inside a block, one GEMM updates the rest.
  public let blockSize: Int
  /// λ = `dampening` × mean(diag H) is added to the Hessian's diagonal.
  public let dampening: Double

  /// Creates a configuration, checking its ranges.
  ///
  /// - Parameters:
  ///   - sparsity: the fraction pruned, in [0, 1); ignored for an N:M pattern.
  ///   - granularity: `.unstructured` or `.semiStructured(keep:of:)`.
  ///   - scope: `.tensor` (exactly floor(sparsity × n) per tensor) or `.perRow` (exactly
  ///     floor(sparsity × columns) per row).
  ///   - minNonzero: how many weights (per row with `.perRow`) survive at least; default 1.
  ///   - blockSize: columns per block, ≥ 1 and a multiple of M for N:M; default 128.
  ///   - dampening: the fraction of the mean Hessian diagonal added to it, finite and ≥ 0;
  ///     default 0.01, the paper's.
  /// - Throws: `SparseGPTError` for a value out of range or a granularity or scope
  ///   SparseGPT does not prune by.
  public init(
    sparsity: Double, granularity: PruningGranularity = .unstructured,
    scope: PruningScope = .tensor, minNonzero: Int = 1, blockSize: Int = 128,
    dampening: Double = 0.01
  ) throws(SparseGPTError) {
    guard scope != .global else { throw .unsupported("the global scope") }
    do {
      selection = try PruningConfig(
        sparsity: sparsity, granularity: granularity, scope: scope,
        minNonzero: granularity == .unstructured ? minNonzero : 0)
    } catch {
      throw .pruning(error)
    }
    guard blockSize >= 1 else { throw .invalidBlockSize(blockSize) }
    switch granularity {
    case .unstructured: break
    case .semiStructured(_, let group):
      guard blockSize % group == 0 else {
        throw .blockSizeNotMultipleOfGroup(blockSize: blockSize, group: group)
      }
    default: throw .unsupported("\(granularity.name) granularity")
    }
    guard dampening >= 0 && dampening.isFinite else { throw .invalidDampening(dampening) }
    self.blockSize = blockSize
    self.dampening = dampening
  }
}
