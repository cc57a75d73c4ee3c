import Pruning

/// The JSON report `bonsai prune --report` writes: every tensor of the file, pruned or not.
struct PruneReport: Encodable {
  /// The options a run used.
  struct Config: Encodable {
    let sparsity: Double
    let metric: String
    let granularity: String
    let seed: UInt64?
    let minNonzero: Int
    let include: [String]
    let exclude: [String]
    let input: String
    let output: String?

    enum CodingKeys: String, CodingKey {
      case sparsity, metric, granularity, seed, include, exclude, input, output
      case minNonzero = "min_nonzero"
    }
  }

  /// One tensor of the file.
  struct Tensor: Encodable {
    let name: String
    let shape: [Int]
    let dtype: String
    let pruned: Bool
    let skipReason: String?
    let totalParams: Int
    let nonzeroParams: Int
    let sparsity: Double

    enum CodingKeys: String, CodingKey {
      case name, shape, dtype, pruned, sparsity
      case skipReason = "skip_reason"
      case totalParams = "total_params"
      case nonzeroParams = "nonzero_params"
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

  /// The report of a run's outcomes.
  init(outcomes: [CheckpointPruning.TensorOutcome], config: Config) {
    tensors = outcomes.map { outcome in
      let total = outcome.info.elementCount
      return Tensor(
        name: outcome.info.name, shape: outcome.info.shape, dtype: outcome.info.dtype.rawValue,
        pruned: outcome.skipReason == nil, skipReason: outcome.skipReason, totalParams: total,
        nonzeroParams: outcome.nonzeroAfter,
        sparsity: total == 0 ? 0 : Double(total - outcome.nonzeroAfter) / Double(total))
    }
    totals = CheckpointTotals(tensors.map { ($0.totalParams, $0.nonzeroParams) })
    self.config = config
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
