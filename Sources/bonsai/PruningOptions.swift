import ArgumentParser
import Pruning

/// The metric names of the command line.
enum MetricOption: String, ExpressibleByArgument, CaseIterable {
  case l1, l2, taylor, random

  /// The library's metric, with the seed for `random`.
  func metric(seed: UInt64) -> ImportanceMetric {
    switch self {
    case .l1: .l1Magnitude
    case .l2: .l2Magnitude
    case .taylor: .taylorProxy
    case .random: .random(seed: seed)
    }
  }
}

/// The granularity names of the command line.
enum GranularityOption: String, ExpressibleByArgument, CaseIterable {
  case unstructured, rows, columns

  /// The library's granularity.
  var granularity: PruningGranularity {
    switch self {
    case .unstructured: .unstructured
    case .rows: .rows
    case .columns: .columns
    }
  }
}

/// How to prune: the options shared by the commands that prune.
struct PruningOptions: ParsableArguments {
  @Option(help: "The fraction of units to prune in each tensor, in [0, 1).")
  var sparsity: Double = 0.5

  @Option(help: "How weights are scored: l1 (|w|), l2 (w², row/column L2 norm), taylor (the w² proxy for |w·g|), random.")
  var metric: MetricOption = .l1

  @Option(help: "What one pruning decision removes: unstructured (single weights), rows (output neurons), columns (input features).")
  var granularity: GranularityOption = .unstructured

  @Option(help: "The seed of the random metric.")
  var seed: UInt64 = 0

  @Option(name: .customLong("min-nonzero"), help: "How many weights of each tensor survive at least.")
  var minNonzero: Int = 1

  @Option(help: "How many threads to use (default: all cores). The output is identical for any count.")
  var threads: Int?

  mutating func validate() throws {
    guard sparsity >= 0, sparsity < 1 else {
      throw ValidationError("--sparsity \(sparsity) is out of range: it must be in [0, 1)")
    }
    guard minNonzero >= 0 else {
      throw ValidationError("--min-nonzero \(minNonzero) is negative")
    }
    if let threads, threads < 1 {
      throw ValidationError("--threads \(threads) must be at least 1")
    }
  }

  /// The library configuration these options describe.
  func config() throws -> PruningConfig {
    try PruningConfig(
      sparsity: sparsity, metric: metric.metric(seed: seed),
      granularity: granularity.granularity, minNonzero: minNonzero)
  }
}
