import ArgumentParser
import Foundation
import Pruning
import SafeTensors

extension Bonsai {
  /// `bonsai prune`: prunes a checkpoint into a new file.
  struct Prune: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Prune a safetensors checkpoint into a new file.",
      discussion: """
        By default prunes F32, F16 and BF16 matrices whose names contain neither "embed" nor \
        "lm_head"; every other tensor is copied byte for byte. Pruned tensors keep their \
        dtype and every kept value its exact bits. The output is written to a temporary file \
        next to it and renamed into place when complete; the input is never modified.
        """)

    @Argument(help: "The checkpoint to prune (.safetensors). It is never modified.")
    var input: String

    @Option(name: .shortAndLong, help: "Where to write the pruned checkpoint.")
    var output: String?

    @OptionGroup var pruning: PruningOptions

    @Option(help: "Prune the tensors whose names match this regular expression instead of the default rule (repeatable).")
    var include: [String] = []

    @Option(help: "Do not prune the tensors whose names match this regular expression (repeatable).")
    var exclude: [String] = []

    @Option(help: "Gradients for --metric taylor: a safetensors file with a tensor of the same name and shape for every pruned weight (F32, F16 or BF16).")
    var gradients: String?

    @Option(help: "Activations for --metric wanda: a safetensors file holding, for every pruned weight NAME, a tensor NAME of per-input-feature norms [in] or of calibration inputs [samples, in]. With --metric sparsegpt, calibration inputs [samples, in] from which each Hessian is computed.")
    var activations: String?

    @OptionGroup var reconstruction: ReconstructionOptions

    @Flag(help: "Remove pruned rows or columns instead of zeroing them: the tensors shrink, and the report lists the kept indices. Needs --granularity rows or columns, or --pair.")
    var compact = false

    @Option(help: ArgumentHelp(
      "Prune channels shared by coupled layers together: PRODUCERS->CONSUMER, a regular expression matching the producers (whose rows, or bias elements, are the channels) and the consumer's name (whose columns read them), $1…$9 standing for the captures. Repeatable.",
      valueName: "rule"))
    var pair: [String] = []

    @Flag(name: .customLong("no-sync"), help: "Do not flush the output to disk before renaming it into place: faster when the disk is the bottleneck. A crash or kill still never leaves a partial file under the output's name, but a power loss may.")
    var noSync = false

    @Option(help: "Write a JSON report of every tensor to this path.")
    var report: String?

    @Flag(help: "Only list which tensors would be pruned and why the others are skipped.")
    var dryRun = false

    @Flag(help: "Print nothing but errors.")
    var quiet = false

    func validate() throws {
      if !dryRun && output == nil {
        throw ValidationError("missing --output: where should the pruned checkpoint go?")
      }
    }

    func run() throws {
      try reportingErrors {
        var job = CheckpointPruning(
          input: input, output: output ?? "",
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
        job.syncsToDisk = !noSync
        let file = try CheckpointFile.open(input)
        let plan = try job.plan(file)
        if !quiet { Terminal.standardOutput.write(PruneOutput.plan(plan)) }
        if dryRun { return }
        let outcomes = try job.run(file, plan: plan)
        if !quiet { Terminal.standardOutput.write(PruneOutput.table(outcomes)) }
        if let report {
          var config = PruneReport.Config(
            method: job.method, library: job.pruner.config, gradients: gradients,
            activations: activations, compact: compact, pairs: pair, include: include,
            exclude: exclude, input: input, output: output)
          config.describe(job.sparseGPT, hessians: reconstruction.hessians)
          try JSONOutput.write(PruneReport(outcomes: outcomes, config: config), to: report)
        }
      }
    }
  }
}

/// Opening a checkpoint, with errors in the command line's terms.
enum CheckpointFile {
  /// The memory-mapped checkpoint at `path`.
  static func open(_ path: String) throws(CommandLineError) -> SafeTensorsFile {
    do {
      return try SafeTensorsFile(path: path)
    } catch {
      throw .failure("\(error)")
    }
  }
}

/// Writing JSON documents for `--report` and `--json`.
enum JSONOutput {
  /// `value` as pretty, key-sorted JSON.
  static func encoded<T: Encodable>(_ value: T) throws(CommandLineError) -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    do {
      return try encoder.encode(value)
    } catch {
      throw .failure("cannot encode the report: \(error)")
    }
  }

  /// Writes `value` to `path` atomically (a temporary file renamed into place).
  static func write<T: Encodable>(_ value: T, to path: String) throws(CommandLineError) {
    let data = try encoded(value)
    do {
      try data.write(to: URL(fileURLWithPath: path), options: .atomic)
    } catch {
      throw .failure("cannot write report \(path): \(error.localizedDescription)")
    }
  }
}

/// The text `bonsai prune` prints.
enum PruneOutput {
  /// Which tensors are pruned and why the others are skipped.
  static func plan(_ plan: CheckpointPruning.Plan) -> String {
    let pruned = plan.entries.filter(\.action.isPruning).count
    var text = "\(pruned) of \(plan.entries.count) tensors selected for pruning\n"
    for (tensor, action) in plan.entries {
      switch action {
      case .copy(let reason): text += "  skip   \(tensor.name): \(reason)\n"
      case .prune: text += "  prune  \(tensor.name)\n"
      case .producer(let group):
        text += "  prune  \(tensor.name): rows are the channels of \(plan.groups[group].consumer.name)\n"
      case .consumer:
        text += "  prune  \(tensor.name): columns read the channels of its producers\n"
      }
    }
    return text
  }

  /// The per-tensor table (name, shape, dtype, sparsity before → after) and the summary.
  static func table(_ outcomes: [CheckpointPruning.TensorOutcome]) -> String {
    let measured = outcomes.contains { $0.relativeOutputError != nil }
    let rows = outcomes.map { outcome -> [String] in
      let total = outcome.info.elementCount
      let before = total == 0 ? 0 : Double(total - outcome.nonzeroBefore) / Double(total)
      let after = total == 0 ? 0 : Double(total - outcome.nonzeroAfter) / Double(total)
      let shape =
        outcome.outputShape == outcome.info.shape
        ? "\(outcome.info.shape)" : "\(outcome.info.shape) → \(outcome.outputShape)"
      let pattern = outcome.pattern.map { $0.satisfied ? " (\($0.keep):\($0.of) holds)" : " (\($0.keep):\($0.of) BROKEN)" } ?? ""
      let error = outcome.relativeOutputError.map { ["\(Percent($0))"] } ?? [""]
      return [
        outcome.info.name, shape, outcome.info.dtype.rawValue,
        "\(Percent(before)) → \(Percent(after))" + (outcome.skipReason == nil ? "" : " (copied)")
          + pattern,
      ] + (measured ? error : [])
    }
    let total = outcomes.reduce(0) { $0 + $1.info.elementCount }
    let nonzero = outcomes.reduce(0) { $0 + $1.nonzeroAfter }
    let sparsity = total == 0 ? 0 : Double(total - nonzero) / Double(total)
    let pruned = outcomes.filter { $0.skipReason == nil }.count
    let header = ["tensor", "shape", "dtype", "sparsity"] + (measured ? ["output error"] : [])
    let updated = outcomes.contains(where: \.keptWeightsUpdated)
    return TextTable.render(header: header, rows: rows)
      + "pruned \(pruned) of \(outcomes.count) tensors; \(nonzero) of \(total) weights nonzero, "
      + "overall sparsity \(Percent(sparsity))\n"
      + (updated ? "kept weights were updated (SparseGPT) to preserve each layer's output\n" : "")
      + (measured ? "output error: sqrt(tr(ΔW·H·ΔWᵀ) / tr(W·H·Wᵀ)) with the given Hessians\n" : "")
  }
}

/// Plain-text tables with left-aligned columns.
enum TextTable {
  /// The table as lines, columns padded to their widest cell.
  static func render(header: [String], rows: [[String]]) -> String {
    let all = [header] + rows
    let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
    return all.map { row in
      row.enumerated().map { column, cell in
        column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
      }.joined(separator: "  ").trimmingSuffix(" ") + "\n"
    }.joined()
  }
}

extension String {
  /// The string without trailing copies of `character`.
  fileprivate func trimmingSuffix(_ character: Character) -> String {
    var trimmed = Substring(self)
    while trimmed.last == character { trimmed = trimmed.dropLast() }
    return String(trimmed)
  }
}
