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

    @Option(name: .shortAndLong, help: "Where to write the pruned checkpoint: a new file, or a regular file to replace (never a link, a device or a file this run reads); for a model folder, a new folder (see --replace).")
    var output: String?

    @Flag(help: "Replace an existing output folder (atomically: the old one is swapped out whole, then removed).")
    var replace = false

    @Flag(name: .customLong("allow-uneven"), help: "Let --compact leave a model folder with sizes config.json cannot declare (layers of different sizes, a size other tensors keep, a size in a nested object); config.json then keeps the sizes it declares, which transformers will not load as they are.")
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

    @Option(help: "Activations for --metric wanda: a safetensors file (or a folder of shards) holding, for every pruned weight NAME, a tensor NAME of per-input-feature norms [in] or of calibration inputs [samples, in]. With --metric sparsegpt, calibration inputs [samples, in] from which each Hessian is computed.")
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

    @Option(help: "Write a JSON report of every tensor to this path, renamed into place together with the output (both land, or neither).")
    var report: String?

    @Option(name: .customLong("report-html"), help: "Write an HTML report to this path, renamed into place together with the output: the overall numbers, the configuration, sparsity by layer, and for each pruned tensor a picture of its mask and a histogram of |w| before and after.")
    var reportHTML: String?

    @Flag(help: "Only list which tensors would be pruned and why the others are skipped, and check the options and the paths of -o and --report; write nothing.")
    var dryRun = false

    @Flag(help: "Print nothing but errors.")
    var quiet = false

    func validate() throws {
      if !dryRun && output == nil {
        throw ValidationError("missing --output: where should the pruned checkpoint go?")
      }
      if dryRun && noSync {
        throw ValidationError("--no-sync has no effect with --dry-run, which writes nothing")
      }
      if dryRun, let threads = pruning.threads {
        throw ValidationError("--threads \(threads) has no effect with --dry-run, which prunes nothing")
      }
    }

    func run() throws {
      try reportingErrors {
        try files.check()
        let source = try CheckpointInput.open(input)
        if source.folder == nil, let option = folderOnlyOption {
          throw CommandLineError.usage("\(option) applies to model folders only; \(input) is a file")
        }
        var job = try pruningJob()
        // Before the folder's run takes its copy of the job.
        if reportHTML != nil { job.pictures = TensorPictures() }
        let folderJob = source.folder.map { folder in
          FolderPruning(
            job: job, folder: folder, output: output ?? "", replacing: replace,
            allowsUnevenSizes: allowUneven, syncsToDisk: !noSync)
        }
        if output != nil { try folderJob?.checkPaths() }
        let plan = try job.plan(source.checkpoint)
        let folded = source.folder != nil && !verbose
        if !quiet { Terminal.standardOutput.write(PruneOutput.plan(plan, folded: folded)) }
        guard !dryRun, let output else { return }
        // Every file is staged before the first byte of any is written.
        let outputs = OutputSet(syncsToDisk: !noSync)
        let reportFile = try report.map { path throws(CommandLineError) in try outputs.stage(path) }
        let pageFile = try reportHTML.map { path throws(CommandLineError) in try outputs.stage(path) }
        let built = try folderJob?.build(plan)
        let outcomes =
          try built?.tensors
          ?? job.run(
            source.checkpoint, plan: plan, into: outputs.stage(output, permissionsOf: input))
        var config = PruneReport.Config(
          method: job.method, library: job.pruner.config, gradients: gradients,
          activations: activations, compact: compact, pairs: pair, include: include,
          exclude: exclude, input: input, output: output)
        config.describe(job.sparseGPT, hessians: reconstruction.hessians)
        let values = PruneReport(outcomes: outcomes, config: config) { tensor in
          source.folder.map { _ in source.checkpoint.shard(of: tensor).name }
        }
        if let reportFile { try JSONOutput.write(values, to: reportFile) }
        if let pageFile, let pictures = job.pictures {
          try HTMLReport(
            report: values, pictures: pictures, title: "Bonsai: what was pruned",
            subtitle: "\(input) → \(output)"
          ).write(to: pageFile)
        }
        // The folder first: the files staged beside it were checked and written already.
        // One hold over both, so that a signal cannot land the folder without them.
        try SignalCleanup.holdingSignals { () throws(CommandLineError) in
          try built?.commit()
          try outputs.commit()
        }
        guard !quiet else { return }
        if let folderJob, let built {
          for entry in folderJob.folder.skippedEntries {
            Terminal.standardError.writeLine(
              "bonsai: not copied: \(entry) (unpruned weights of another format, or a repository's own files)")
          }
          for change in built.sizeChanges {
            Terminal.standardOutput.writeLine("\(ModelFolder.configName): \(change)")
          }
        }
        Terminal.standardOutput.write(PruneOutput.table(outcomes, folded: folded))
      }
    }

    /// The first option given that only a model folder uses.
    private var folderOnlyOption: String? {
      if replace { return "--replace" }
      if allowUneven { return "--allow-uneven" }
      if verbose { return "--verbose" }
      return nil
    }

    /// The files (and folders) this run reads.
    var reads: [FileRoles.Role] {
      var reads: [FileRoles.Role] = [("input", input)]
      if let gradients { reads.append(("--gradients", gradients)) }
      if let activations { reads.append(("--activations", activations)) }
      if let hessians = reconstruction.hessians { reads.append(("--hessians", hessians)) }
      return reads
    }

    /// The files this run reads and writes.
    private var files: FileRoles {
      var files = FileRoles(reads: reads)
      // A folder's -o is a folder, replaced only when asked (see FolderPruning).
      if let output {
        if ModelFolder.isFolder(input) {
          files.folderWrites.append(("-o", output))
        } else {
          files.writes.append(("-o", output))
        }
      }
      if let report { files.writes.append(("--report", report)) }
      if let reportHTML { files.writes.append(("--report-html", reportHTML)) }
      return files
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

  /// Writes `value` into `file`, which is renamed into place when its run commits.
  static func write<T: Encodable>(_ value: T, to file: StagedFile) throws(CommandLineError) {
    var data = try encoded(value)
    data.append(UInt8(ascii: "\n"))
    try ReportFile.write(data, to: file)
  }

  /// Writes `value` to `path` on its own: staged beside it, renamed into place whole.
  static func write<T: Encodable>(_ value: T, to path: String) throws(CommandLineError) {
    let outputs = OutputSet(syncsToDisk: true)
    try write(value, to: try outputs.stage(path))
    try outputs.commit()
  }

  /// Prints `value` as JSON on stdout (`--json`, and the steps of `bonsai shards`).
  static func print<T: Encodable>(_ value: T) throws(CommandLineError) {
    Terminal.standardOutput.write(verbatim: String(decoding: try encoded(value), as: UTF8.self) + "\n")
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
    let label = { (name: String) in (folded ? NamePattern(name).text : name).terminalSafe() }
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

  /// The per-tensor table (name, shape, dtype, sparsity before → after, and the relative
  /// output error when Hessians were given) and the summary; `folded` gathers the tensors of
  /// each name pattern on one row (sparsity over them all, the largest output error).
  static func table(_ outcomes: [CheckpointPruning.TensorOutcome], folded: Bool = false) -> String {
    let label = { (name: String) in folded ? NamePattern(name).text : name }
    let measured = outcomes.contains { $0.relativeOutputError != nil }
    // Pruned and copied tensors of one pattern are on two rows.
    let groups = OrderedGroups.gather(outcomes) { outcome in
      "\(label(outcome.info.name)) \(outcome.skipReason == nil)"
    }
    let rows = groups.map { _, members in
      let name = label(members[0].info.name)
      let errors = members.compactMap(\.relativeOutputError)
      let error = errors.max().map { (members.count > 1 ? "max " : "") + "\(Percent($0))" } ?? ""
      return row(members, label: members.count > 1 ? "\(name) ×\(members.count)" : name)
        + (measured ? [error] : [])
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
  /// The widest a column grows: a longer cell (a 5000-character tensor name) is cut in the
  /// middle rather than padding every line to its width.
  static let maximumColumnWidth = 72

  /// The table as lines, columns padded to their widest cell; cells are escaped for the
  /// terminal and cut to ``maximumColumnWidth``.
  static func render(header: [String], rows: [[String]]) -> String {
    let all = ([header] + rows).map { row in
      row.map { $0.terminalSafe().truncated(toWidth: maximumColumnWidth) }
    }
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
