import ArgumentParser
import Pruning

/// The options of SparseGPT and of the relative output error: `--hessians`, `--block-size`,
/// `--dampening`.
struct ReconstructionOptions: ParsableArguments {
  @Option(help: "Hessians H = Σ x·xᵀ of each pruned weight's inputs: a safetensors file with a tensor NAME [in, in] (F32 or F64) for every pruned weight NAME, or a metadata entry NAME naming the tensor it shares (q/k/v, gate/up). Used by --metric sparsegpt, and with any metric to report each tensor's relative output error.")
  var hessians: String?

  @Option(name: .customLong("block-size"), help: "SparseGPT's columns per block (default 128; a multiple of M for N:M).")
  var blockSize: Int?

  @Option(help: "SparseGPT's dampening: this fraction of the mean Hessian diagonal is added to it (default 0.01).")
  var dampening: Double?

  /// Sets `job` up for these options: the Hessians (for SparseGPT and the output error) and,
  /// with `--metric sparsegpt`, SparseGPT itself. Usage errors name the option.
  func configure(
    _ job: inout CheckpointPruning, pruning: PruningOptions, activations: String?,
    compact: Bool, pairs: [String]
  ) throws(CommandLineError) {
    let sparseGPT = pruning.metric == .sparsegpt
    if !sparseGPT {
      if blockSize != nil { throw .usage("--block-size is used by --metric sparsegpt only") }
      if dampening != nil { throw .usage("--dampening is used by --metric sparsegpt only") }
    } else if hessians == nil && activations == nil {
      throw .usage("--metric sparsegpt needs --hessians FILE (or --activations FILE of calibration inputs [samples, in]): the Hessian of every pruned weight's inputs")
    } else if hessians != nil && activations != nil {
      throw .usage("--metric sparsegpt takes --hessians or --activations, not both")
    } else if compact || !pairs.isEmpty {
      throw .usage("--metric sparsegpt updates weights: it cannot be combined with \(compact ? "--compact" : "--pair")")
    }
    guard let path = hessians ?? (sparseGPT ? activations : nil) else { return }
    let source = try HessianSource(path: path, fromActivations: hessians == nil)
    job.hessians = source
    guard sparseGPT else { return }
    let config = try SparseGPTPruning.config(
      pruning, blockSize: blockSize ?? 128, dampening: dampening ?? 0.01)
    job.sparseGPT = SparseGPTPruning(
      sparseGPT: SparseGPT(config, threadCount: pruning.threads), hessians: source)
  }
}
