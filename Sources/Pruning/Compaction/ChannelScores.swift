// Channel pruning across coupled layers. In an MLP, channel i is row i of the up and gate
// projections (and element i of their biases) and column i of the down projection: removing
// it from some of them but not the others breaks the model. So a channel is scored over all
// its weights — the joint L2 norm sqrt(Σ‖row_i‖² + Σ‖column_i‖²), or the joint L1 sum —
// from per-tensor norms (`UnitScores`: CBLAS and C kernels), and the same channels are removed from every
// tensor of the group. Tensors are added one at a time, so a checkpoint is scored while
// streaming.

/// The scores of the channels shared by a group of coupled tensors, accumulated tensor by
/// tensor: producers contribute their rows, consumers their columns.
///
/// ```swift
/// var channels = try ChannelScores(channels: 11008, config: config)
/// try channels.addProducer(up.values.span, shape: up.shape, name: up.name)
/// try channels.addProducer(gate.values.span, shape: gate.shape, name: gate.name)
/// try channels.addConsumer(down.values.span, shape: down.shape, name: down.name)
/// let kept = channels.keptChannels()   // remove the others from all three
/// ```
public struct ChannelScores: Sendable {
  /// The configuration: its sparsity, metric (`l1`, `l2`, the Taylor proxy or random) and
  /// `minNonzero` (the number of channels that survive at least) apply.
  public let config: PruningConfig
  /// The number of channels.
  public let channels: Int
  /// Per channel, the sum of its weights' |w| (L1) or w² (L2) so far.
  private var sums: [Double]
  /// How many threads the norms may use.
  public let threadCount: Int

  /// Empty scores for `channels` channels, computed on `threadCount` threads (default: the
  /// processors this process may use).
  ///
  /// - Throws: `PruningError.unsupportedChannelMetric` for metrics that need per-tensor
  ///   input (Taylor with gradients, Wanda, supplied scores); `.negativeCount` for a
  ///   negative channel count.
  public init(channels: Int, config: PruningConfig, threadCount: Int? = nil)
    throws(PruningError)
  {
    guard Self.canScore(config.metric) else {
      throw .unsupportedChannelMetric(metric: config.metric.name)
    }
    guard channels >= 0 else { throw .negativeCount(what: "channel count", count: channels) }
    self.config = config
    self.channels = channels
    self.threadCount = max(1, threadCount ?? Parallel.defaultThreadCount)
    self.sums = Array(repeating: 0, count: channels)
  }

  /// Adds a producer: a `[channels, in]` matrix whose row i feeds channel i, or a
  /// `[channels]` bias, which follows the channels without scoring them.
  ///
  /// - Throws: `PruningError.channelMismatch` for another shape, `.shapeMismatch` when the
  ///   shape does not hold the values, `.nonFiniteWeights`.
  public mutating func addProducer<Scalar: PrunableScalar>(
    _ values: Span<Scalar>, shape: [Int], name: String
  ) throws(PruningError) {
    guard shape.count == 2 && shape[0] == channels || shape == [channels] else {
      throw .channelMismatch(
        name: name,
        problem: "shape \(shape) is not [\(channels), in] or [\(channels)]: its rows must be the \(channels) channels")
    }
    guard shape.count == 2 else { return }
    try add(values, shape: shape, name: name, alongRows: true)
  }

  /// Adds a consumer: an `[out, channels]` matrix whose column i reads channel i.
  ///
  /// - Throws: `PruningError.channelMismatch` for another shape, `.shapeMismatch` when the
  ///   shape does not hold the values, `.nonFiniteWeights`.
  public mutating func addConsumer<Scalar: PrunableScalar>(
    _ values: Span<Scalar>, shape: [Int], name: String
  ) throws(PruningError) {
    guard shape.count == 2 && shape[1] == channels else {
      throw .channelMismatch(
        name: name,
        problem: "shape \(shape) is not [out, \(channels)]: its columns must be the \(channels) channels")
    }
    try add(values, shape: shape, name: name, alongRows: false)
  }

  /// Whether channels can be scored by `metric`: the magnitude metrics and random can;
  /// metrics that need per-tensor input (Taylor with gradients, Wanda, supplied) cannot.
  public static func canScore(_ metric: ImportanceMetric) -> Bool {
    switch metric {
    case .l1Magnitude, .l2Magnitude, .taylorProxy, .random: true
    case .taylor, .wanda, .supplied: false
    }
  }

  /// The score of each channel: the joint L2 norm or L1 sum of its weights, or its LCG score
  /// (`RandomScores.unitScore`) for the random metric.
  public var scores: [Float] {
    switch config.metric {
    case .random(let seed): (0 ..< channels).map { RandomScores.unitScore(seed: seed, unit: $0) }
    case .l1Magnitude: sums.map { Float($0) }
    default: sums.map { Float($0.squareRoot()) }
    }
  }

  /// The channels to keep, ascending: all but the k lowest-scoring (ties to the lower
  /// index), k = min(floor(sparsity × channels), channels − minNonzero).
  public func keptChannels() -> [Int] {
    let scores = scores
    let k = config.prunedUnitCount(units: channels, unitSize: 1)
    let mask = scores.withUnsafeBufferPointer { scores in
      let keys = ScoreArrayKeys(scores: scores)
      return LowestKSelection.cut(keys, pruning: k, threads: 1).mask(of: keys, threads: 1)
    }
    return (0 ..< channels).filter { mask[$0] }
  }

  private mutating func add<Scalar: PrunableScalar>(
    _ values: Span<Scalar>, shape: [Int], name: String, alongRows: Bool
  ) throws(PruningError) {
    guard WeightTensor.elementCount(of: shape) == values.count else {
      throw .shapeMismatch(name: name, shape: shape, valueCount: values.count)
    }
    // Random scores need no norms, but corrupted weights are rejected all the same.
    let kind: NormKind? =
      switch config.metric {
      case .random: nil
      case .l1Magnitude: .l1
      default: .l2
      }
    let norms = try CheckedNorms(
      rows: shape[0], columns: shape[1], kind: kind, alongRows: alongRows, name: name,
      threads: threadCount
    ).norms(of: values)
    guard let kind else { return }
    for channel in 0 ..< channels {
      let norm = Double(norms[channel])
      sums[channel] += kind == .l1 ? norm : norm * norm
    }
  }
}
