import ArgumentParser
import Foundation
import ModelFolders
import Pruning
import SafeTensors

extension Bonsai {
  /// `bonsai prune`: prunes a checkpoint into a new file, or a model folder into a new
  /// folder.
  struct Prune: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Prune a safetensors checkpoint into a new file, or a model folder into a new folder.",
      discussion: """
        By default prunes F32, F16 and BF16 matrices whose names contain neither "embed" nor \
        "lm_head"; every other tensor is copied byte for byte. Pruned tensors keep their \
        dtype and every kept value its exact bits. The output is written to a temporary file \
        (or folder) next to it and renamed into place when complete; the input is never \
        modified. A Hugging Face model folder (model.safetensors, or shards with \
        model.safetensors.index.json) is pruned as one checkpoint into a folder of the same \
        shards, index, config and other files.
        """)

    @Argument(help: "The checkpoint to prune: a .safetensors file or a model folder. It is never modified.")
    var input: String

    @Option(name: .shortAndLong, help: "Where to write the pruned checkpoint (a folder, for a folder).")
    var output: String?

    @Flag(help: "Replace an existing output folder (atomically: the old one is swapped out whole, then removed).")
    var replace = false

    @Flag(name: .customLong("allow-uneven"), help: "Let --compact leave the layers of a model folder with different sizes; config.json then keeps the sizes it declares, which transformers will not load as they are.")
    var allowUneven = false

    @Flag(help: "For a model folder, list every tensor instead of one line per name pattern.")
    var verbose = false

    @OptionGroup var pruning: PruningOptions

    @Option(help: "Prune the tensors whose names match this regular expression instead of the default rule (repeatable).")
    var include: [String] = []

    @Option(help: "Do not prune the tensors whose names match this regular expression (repeatable).")
    var exclude: [String] = []

    @Option(help: "Gradients for --metric taylor: a safetensors file (or a folder of shards) with a tensor of the same name and shape for every pruned weight (F32, F16 or BF16).")
    var gradients: String?

    @Option(help: "Activations for --metric wanda: a safetensors file (or a folder of shards) holding, for every pruned weight NAME, a tensor NAME of per-input-feature norms [in] or of calibration inputs [samples, in].")
    var activations: String?

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
        let source = try CheckpointInput.open(input)
        let job = try pruningJob()
        let folderJob = source.folder.map { folder in
          FolderPruning(
            job: job, folder: folder, output: output ?? "", replacing: replace,
            allowsUnevenSizes: allowUneven)
        }
        if !dryRun { try folderJob?.checkPaths() }
        let plan = try job.plan(source.checkpoint)
        let folded = source.folder != nil && !verbose
        if !quiet { Terminal.standardOutput.write(PruneOutput.plan(plan, folded: folded)) }
        if dryRun { return }
        let outcomes: [CheckpointPruning.TensorOutcome]
        if let folderJob {
          let result = try folderJob.run(plan)
          outcomes = result.tensors
          if !quiet {
            for entry in folderJob.folder.skippedEntries {
              Terminal.standardError.write(
                "bonsai: not copied: \(entry) (unpruned weights of another format, or a repository's own files)\n")
            }
            for change in result.sizeChanges {
              Terminal.standardOutput.write("\(ModelFolder.configName): \(change)\n")
            }
          }
        } else {
          outcomes = try job.run(source.checkpoint, plan: plan)
        }
        if !quiet { Terminal.standardOutput.write(PruneOutput.table(outcomes, folded: folded)) }
        if let reportPath = report {
          let config = PruneReport.Config(
            method: job.method, library: job.pruner.config, gradients: gradients,
            activations: activations, compact: compact, pairs: pair, include: include,
            exclude: exclude, input: input, output: output)
          let report = PruneReport(outcomes: outcomes, config: config) { tensor in
            source.folder.map { _ in source.checkpoint.shard(of: tensor).name }
          }
          try JSONOutput.write(report, to: reportPath)
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

/// The text `bonsai prune` prints: every tensor, or for a model folder (unless
/// `--verbose`) a summary with one line per name pattern, layer numbers folded
/// (`model.layers.*.mlp.up_proj.weight ×32`).
enum PruneOutput {
  /// Which tensors are pruned and why the others are skipped; `folded` gathers the tensors
  /// of each name pattern and decision on one line.
  static func plan(_ plan: CheckpointPruning.Plan, folded: Bool = false) -> String {
    let pruned = plan.entries.filter(\.action.isPruning).count
    var text = "\(pruned) of \(plan.entries.count) tensors selected for pruning\n"
    let label = { (name: String) in folded ? NamePattern(name).text : name }
    let describe = { (tensor: TensorInfo, action: CheckpointPruning.Action) -> (verb: String, reason: String?) in
      switch action {
      case .copy(let reason): ("skip ", reason)
      case .prune: ("prune", nil)
      case .producer(let group):
        ("prune", "rows are the channels of \(label(plan.groups[group].consumer.name))")
      case .consumer: ("prune", "columns read the channels of its producers")
      }
    }
    let lines = OrderedGroups.gather(plan.entries) { entry in
      let (verb, reason) = describe(entry.info, entry.action)
      return "\(verb) \(label(entry.info.name)) \(reason ?? "")"
    }
    for (_, members) in lines {
      let (tensor, action) = members[0]
      let (verb, reason) = describe(tensor, action)
      let count = members.count > 1 ? " ×\(members.count)" : ""
      text += "  \(verb)  \(label(tensor.name))\(count)\(reason.map { ": " + $0 } ?? "")\n"
    }
    return text
  }

  /// The per-tensor table (name, shape, dtype, sparsity before → after) and the summary;
  /// `folded` gathers the tensors of each name pattern on one row (sparsity over them all).
  static func table(_ outcomes: [CheckpointPruning.TensorOutcome], folded: Bool = false) -> String {
    let label = { (name: String) in folded ? NamePattern(name).text : name }
    // Pruned and copied tensors of one pattern are on two rows.
    let groups = OrderedGroups.gather(outcomes) { outcome in
      "\(label(outcome.info.name)) \(outcome.skipReason == nil)"
    }
    let rows = groups.map { _, members in
      let name = label(members[0].info.name)
      return row(members, label: members.count > 1 ? "\(name) ×\(members.count)" : name)
    }
    let total = outcomes.reduce(0) { $0 + $1.info.elementCount }
    let nonzero = outcomes.reduce(0) { $0 + $1.nonzeroAfter }
    let sparsity = total == 0 ? 0 : Double(total - nonzero) / Double(total)
    let pruned = outcomes.filter { $0.skipReason == nil }.count
    return TextTable.render(header: ["tensor", "shape", "dtype", "sparsity"], rows: rows)
      + "pruned \(pruned) of \(outcomes.count) tensors; \(nonzero) of \(total) weights nonzero, "
      + "overall sparsity \(Percent(sparsity))\n"
  }

  /// One row for tensors pruned (or copied) alike: shape and dtype when they share them,
  /// sparsity over all of them.
  private static func row(_ members: [CheckpointPruning.TensorOutcome], label: String) -> [String] {
    func shared(_ values: [String]) -> String {
      Set(values).count == 1 ? values[0] : "mixed"
    }
    let total = members.reduce(0) { $0 + $1.info.elementCount }
    let before = members.reduce(0) { $0 + $1.nonzeroBefore }
    let after = members.reduce(0) { $0 + $1.nonzeroAfter }
    let shape = shared(
      members.map { outcome in
        outcome.outputShape == outcome.info.shape
          ? "\(outcome.info.shape)" : "\(outcome.info.shape) → \(outcome.outputShape)"
      })
    let patterns = members.compactMap(\.pattern)
    let pattern = patterns.first.map { first in
      patterns.allSatisfy(\.satisfied) ? " (\(first.keep):\(first.of) holds)" : " (\(first.keep):\(first.of) BROKEN)"
    } ?? ""
    let fraction = { (nonzero: Int) in total == 0 ? 0 : Double(total - nonzero) / Double(total) }
    return [
      label, shape, shared(members.map(\.info.dtype.rawValue)),
      "\(Percent(fraction(before))) → \(Percent(fraction(after)))"
        + (members[0].skipReason == nil ? "" : " (copied)") + pattern,
    ]
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
