import ArgumentParser
import Pruning

/// The metric names of the command line.
enum MetricOption: String, ExpressibleByArgument, CaseIterable {
  case l1, l2, taylor, wanda, random, sparsegpt

  /// The library's metric: `taylor` is |w·g| with gradients and the w² proxy without.
  /// SparseGPT is no masking metric (`SparseGPTPruning` prunes instead); its pruner carries
  /// only the counts, scored as `l2` (w², the saliency's numerator) if it were ever used.
  func metric(seed: UInt64, hasGradients: Bool) -> ImportanceMetric {
    switch self {
    case .sparsegpt: .l2Magnitude
    case .l1: .l1Magnitude
    case .l2: .l2Magnitude
    case .taylor: hasGradients ? .taylor : .taylorProxy
    case .wanda: .wanda
    case .random: .random(seed: seed)
    }
  }
}

/// A granularity of the command line: `unstructured`, `rows`, `columns`, `N:M` or
/// `block:RxC`.
struct GranularityOption: ExpressibleByArgument, Hashable {
  /// The parsed form, pooling aside (it has its own option).
  enum Kind: Hashable {
    case unstructured, rows, columns
    case semiStructured(keep: Int, of: Int)
    case blocks(rows: Int, columns: Int)
  }

  let kind: Kind
  let text: String

  init(_ kind: Kind, text: String) {
    self.kind = kind
    self.text = text
  }

  init?(argument: String) {
    text = argument
    switch argument {
    case "unstructured": kind = .unstructured
    case "rows": kind = .rows
    case "columns": kind = .columns
    default:
      if argument.hasPrefix("block:") {
        let sides = argument.dropFirst("block:".count).split(separator: "x", omittingEmptySubsequences: false)
        guard sides.count == 2, let rows = Int(sides[0]), let columns = Int(sides[1]), rows >= 1,
          columns >= 1
        else { return nil }
        kind = .blocks(rows: rows, columns: columns)
      } else {
        let parts = argument.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let keep = Int(parts[0]), let group = Int(parts[1]), keep >= 1,
          keep < group
        else { return nil }
        kind = .semiStructured(keep: keep, of: group)
      }
    }
  }

  static var allValueStrings: [String] { ["unstructured", "rows", "columns", "N:M", "block:RxC"] }

  /// The default as `--help` shows it: the text it was given as.
  var defaultValueDescription: String { text }

  /// The library's granularity.
  func granularity(pooling: BlockPooling) throws -> PruningGranularity {
    switch kind {
    case .unstructured: .unstructured
    case .rows: .rows
    case .columns: .columns
    case .semiStructured(let keep, let group): .semiStructured(keep: keep, of: group)
    case .blocks(let rows, let columns):
      .blocks(try BlockShape(rows: rows, columns: columns, pooling: pooling))
    }
  }
}

/// The scope names of the command line.
enum ScopeOption: String, ExpressibleByArgument, CaseIterable {
  case tensor, global
}

extension IterativeMode: ExpressibleByArgument {}
extension BlockPooling: ExpressibleByArgument {}

/// How to prune: the options shared by the commands that prune.
struct PruningOptions: ParsableArguments {
  @Option(parsing: .unconditional, help: "The fraction of units to prune in each tensor (of all selected tensors with --scope global), in [0, 1). Default 0.5; fixed by the pattern for N:M.")
  var sparsity: Double?

  @Option(help: "How weights are scored: l1 (|w|), l2 (w², row/column L2 norm), taylor (|w·g| with --gradients, else the w² proxy), wanda (|w|·‖X_j‖ with --activations), random, sparsegpt (SparseGPT with --hessians or --activations: kept weights are updated).")
  var metric: MetricOption = .l1

  @Option(help: ArgumentHelp(
    "What one pruning decision removes: unstructured (single weights), rows (output neurons), columns (input features), N:M (N weights KEPT of every M consecutive along a row, e.g. 2:4), block:RxC (R×C blocks, e.g. block:4x4).",
    valueName: "granularity"))
  var granularity: GranularityOption = GranularityOption(.unstructured, text: "unstructured")

  @Option(name: .customLong("block-pooling"), help: "How a block's element scores become its score: mean (default) or max. Only with --granularity block:RxC.")
  var blockPooling: BlockPooling?

  @Option(help: "Rank each tensor on its own (tensor) or all selected tensors together (global: floor(sparsity × total) pruned over their union).")
  var scope: ScopeOption = .tensor

  @Flag(name: .customLong("per-row"), help: "Rank each row on its own, as Wanda does: every row loses floor(sparsity × columns) weights. Unstructured only.")
  var perRow = false

  @Option(help: "For tensors that already hold zeros, which count as pruned: reach a total sparsity (total) or prune the fraction of what remains (remaining, PyTorch's convention). Default: the reference rule.")
  var iterative: IterativeMode?

  @Option(parsing: .unconditional, help: "The seed of --metric random (default 0); only with that metric.")
  var seed: UInt64?

  @Option(name: .customLong("min-nonzero"), parsing: .unconditional, help: "How many weights of each tensor (of the union with --scope global; channels of a --pair group) survive at least. Default 1; not with N:M, whose pattern fixes it.")
  var minNonzero: Int?

  @Option(parsing: .unconditional, help: "How many threads to use (default: all cores). The output is identical for any count.")
  var threads: Int?

  mutating func validate() throws {
    if let sparsity, !(sparsity >= 0 && sparsity < 1) {
      throw ValidationError("--sparsity \(sparsity) is out of range: it must be in [0, 1)")
    }
    if let sparsity, case .semiStructured = granularity.kind {
      throw ValidationError(
        "--sparsity \(sparsity) cannot be combined with --granularity \(granularity.text): the pattern fixes the sparsity")
    }
    if let iterative, case .semiStructured = granularity.kind {
      throw ValidationError(
        "--iterative \(iterative.rawValue) cannot be combined with --granularity \(granularity.text): the pattern fixes how many are pruned")
    }
    if let minNonzero, minNonzero < 0 {
      throw ValidationError("--min-nonzero \(minNonzero) is negative")
    }
    if let minNonzero, case .semiStructured = granularity.kind {
      throw ValidationError(
        "--min-nonzero \(minNonzero) cannot be combined with --granularity \(granularity.text): the pattern fixes how many survive")
    }
    if let seed, metric != .random {
      throw ValidationError("--seed \(seed) is used by --metric random only, not \(metric.rawValue)")
    }
    if let blockPooling {
      guard case .blocks = granularity.kind else {
        throw ValidationError(
          "--block-pooling \(blockPooling.rawValue) is used by --granularity block:RxC only, not \(granularity.text)")
      }
    }
    if let threads, threads < 1 {
      throw ValidationError("--threads \(threads) must be at least 1")
    }
    if perRow && scope == .global {
      throw ValidationError("--per-row and --scope global cannot be combined: pick one ranking")
    }
    if (perRow || scope == .global) && granularity.kind != .unstructured {
      throw ValidationError(
        "\(perRow ? "--per-row" : "--scope global") ranks single weights: it needs --granularity unstructured, not \(granularity.text)")
    }
  }

  /// The library configuration these options describe.
  func config(hasGradients: Bool) throws -> PruningConfig {
    try PruningConfig(
      sparsity: sparsity ?? 0.5, metric: metric.metric(seed: seed ?? 0, hasGradients: hasGradients),
      granularity: granularity.granularity(pooling: blockPooling ?? .mean),
      scope: perRow ? .perRow : scope == .global ? .global : .tensor, iterative: iterative,
      minNonzero: minNonzero ?? 1)
  }
}
