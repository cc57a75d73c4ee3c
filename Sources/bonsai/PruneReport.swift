import Pruning
import SafeTensors

/// The JSON report `bonsai prune --report` writes: every tensor of the file, pruned or not.
struct PruneReport: Encodable {
  /// The options a run used.
  struct Config: Encodable {
    let method: String
    let sparsity: Double
    var metric: String
    let granularity: String
    let blockPooling: String?
    let scope: String
    let iterative: String?
    let seed: UInt64?
    let minNonzero: Int
    let gradients: String?
    let activations: String?
    let compact: Bool
    let pairs: [String]
    let include: [String]
    let exclude: [String]
    let input: String
    let output: String?
    var hessians: String?
    var blockSize: Int?
    var dampening: Double?

    enum CodingKeys: String, CodingKey {
      case method, sparsity, metric, granularity, scope, iterative, seed, gradients, activations
      case compact, pairs, include, exclude, input, output, hessians, dampening
      case blockSize = "block_size"
      case blockPooling = "block_pooling"
      case minNonzero = "min_nonzero"
    }

    /// The configuration of a run from its options and the library configuration they made.
    init(
      method: String, library: PruningConfig, gradients: String?, activations: String?,
      compact: Bool, pairs: [String], include: [String], exclude: [String], input: String,
      output: String?
    ) {
      self.method = method
      sparsity = library.sparsity
      metric = library.metric.name
      granularity = library.granularity.name
      if case .blocks(let shape) = library.granularity {
        blockPooling = shape.pooling.rawValue
      } else {
        blockPooling = nil
      }
      scope = library.scope.rawValue
      iterative = library.iterative?.rawValue
      if case .random(let seed) = library.metric { self.seed = seed } else { self.seed = nil }
      minNonzero = library.minNonzero
      self.gradients = gradients
      self.activations = activations
      self.compact = compact
      self.pairs = pairs
      self.include = include
      self.exclude = exclude
      self.input = input
      self.output = output
    }
  }

  /// An N:M pattern and whether a written tensor satisfies it (also read back by the HTML
  /// report, `ReportValues`).
  struct Pattern: Codable {
    let keep: Int
    let of: Int
    let satisfied: Bool
  }

  /// One tensor of the file.
  struct Tensor: Encodable {
    let name: String
    /// The shard holding it, for a model folder.
    let shard: String?
    let shape: [Int]
    let outputShape: [Int]
    let dtype: String
    let pruned: Bool
    let skipReason: String?
    let method: String?
    let scoreSource: String?
    let totalParams: Int
    let nonzeroParams: Int
    let sparsity: Double
    let keptRows: [Int]?
    let keptColumns: [Int]?
    let pattern: Pattern?
    let keptWeights: String?
    let relativeOutputError: Double?

    enum CodingKeys: String, CodingKey {
      case name, shard, shape, dtype, pruned, sparsity, method, pattern
      case keptWeights = "kept_weights"
      case relativeOutputError = "relative_output_error"
      case outputShape = "output_shape"
      case skipReason = "skip_reason"
      case scoreSource = "score_source"
      case totalParams = "total_params"
      case nonzeroParams = "nonzero_params"
      case keptRows = "kept_rows"
      case keptColumns = "kept_columns"
    }
  }

  let totals: CheckpointTotals
  let config: Config
  let tensors: [Tensor]

  enum CodingKeys: String, CodingKey {
    case config, tensors
  }

  /// The totals, then the config and the tensors, all at the top level.
  func encode(to encoder: any Encoder) throws {
    try totals.encode(to: encoder)
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(config, forKey: .config)
    try container.encode(tensors, forKey: .tensors)
  }

  /// The report of a run's outcomes, each tensor with the shard `shard` says holds it (nil
  /// for a file). Sparsity counts removed weights (compaction) as pruned: it is
  /// 1 − nonzero written / elements of the input tensor.
  init(
    outcomes: [CheckpointPruning.TensorOutcome], config: Config,
    shard: (TensorInfo) -> String? = { _ in nil }
  ) {
    tensors = outcomes.map { outcome in
      let total = outcome.info.elementCount
      return Tensor(
        name: outcome.info.name, shard: shard(outcome.info), shape: outcome.info.shape, outputShape: outcome.outputShape,
        dtype: outcome.info.dtype.rawValue, pruned: outcome.skipReason == nil,
        skipReason: outcome.skipReason, method: Self.method(outcome.action, config: config),
        scoreSource: outcome.scoreSource, totalParams: total,
        nonzeroParams: outcome.nonzeroAfter,
        sparsity: total == 0 ? 0 : Double(total - outcome.nonzeroAfter) / Double(total),
        keptRows: outcome.kept?.axis == .rows ? outcome.kept?.indices : nil,
        keptColumns: outcome.kept?.axis == .columns ? outcome.kept?.indices : nil,
        pattern: outcome.pattern,
        keptWeights: outcome.skipReason != nil ? nil : outcome.keptWeightsUpdated ? "updated" : "unchanged",
        relativeOutputError: outcome.relativeOutputError)
    }
    totals = CheckpointTotals(tensors.map { ($0.totalParams, $0.nonzeroParams) })
    self.config = config
  }

  /// How a tensor was pruned, in words, or nil when it was copied.
  private static func method(_ action: CheckpointPruning.Action, config: Config) -> String? {
    let removal = config.compact ? "removed" : "zeroed"
    switch action {
    case .copy: return nil
    case .prune: return config.method
    case .producer: return "channel group: \(config.metric) rows \(removal)"
    case .consumer: return "channel group: \(config.metric) columns \(removal)"
    }
  }
}

extension PruneReport.Config {
  /// Adds SparseGPT's settings and the Hessians file.
  mutating func describe(_ sparseGPT: SparseGPTPruning?, hessians: String?) {
    self.hessians = hessians
    guard let sparseGPT else { return }
    metric = "sparsegpt"
    blockSize = sparseGPT.sparseGPT.config.blockSize
    dampening = sparseGPT.sparseGPT.config.dampening
  }
}

/// Parameter totals over every tensor of a checkpoint, shared by `bonsai prune --report`
/// and `bonsai report --json`: `total_params`, `total_nonzero`, `overall_sparsity`.
struct CheckpointTotals: Encodable {
  let totalParams: Int
  let totalNonzero: Int
  let overallSparsity: Double

  enum CodingKeys: String, CodingKey {
    case totalParams = "total_params"
    case totalNonzero = "total_nonzero"
    case overallSparsity = "overall_sparsity"
  }

  /// The totals of per-tensor (total, nonzero) counts.
  init(_ counts: [(total: Int, nonzero: Int)]) {
    totalParams = counts.reduce(0) { $0 + $1.total }
    totalNonzero = counts.reduce(0) { $0 + $1.nonzero }
    overallSparsity =
      totalParams == 0 ? 0 : Double(totalParams - totalNonzero) / Double(totalParams)
  }
}
