import Pruning

extension Bonsai.Prune {
  /// The pruning these options describe, not yet planned: what `bonsai prune` runs, and what
  /// every step of `bonsai shards` rebuilds from the same options, so that the steps of a
  /// run on many machines decide exactly as one machine would.
  func pruningJob() throws -> CheckpointPruning {
    var job = CheckpointPruning(
      input: input,
      pruner: Pruner(try pruning.config(hasGradients: gradients != nil), threadCount: pruning.threads),
      selection: try TensorSelection(include: include, exclude: exclude),
      progressStyle: ProgressDisplay.style(quiet: quiet))
    try reconstruction.configure(
      &job, pruning: pruning, activations: activations, compact: compact, pairs: pair)
    job.scoreInputs = try ScoreInputFiles(
      gradients: gradients, activations: job.sparseGPT == nil ? activations : nil,
      metric: pruning.metric)
    job.pairing = try ChannelPairing(pair)
    job.compact = compact
    return job
  }
}
