import ArgumentParser
import Foundation
import ModelFolders
import Pruning
import SafeTensors

extension Bonsai {
  /// `bonsai demo`: prunes the built-in example model every way Bonsai can, then runs
  /// `bonsai prune` and `bonsai report` on it as a checkpoint file.
  struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Prune a built-in example model with each metric and granularity.")

    @Option(parsing: .unconditional, help: "The sparsity of the demonstration, in [0, 1).")
    var sparsity: Double = 0.5

    @Option(help: "Keep the example checkpoint, its calibration inputs and gradients, the same model as a folder of shards, and its pruned copy in this folder instead of a temporary one.")
    var folder: String?

    func validate() throws {
      guard sparsity >= 0, sparsity < 1 else {
        throw ValidationError("--sparsity \(sparsity) is out of range: it must be in [0, 1)")
      }
    }

    func run() throws {
      try reportingErrors {
        let model = try ExampleModel.tensors()
        let out = Terminal.standardOutput
        out.write("Example model: \(model.count) tensors, \(model.reduce(0) { $0 + $1.count }) weights\n\n")
        out.write("Every metric and granularity at sparsity \(sparsity) (2:4 at its own 50%), matrices only:\n")
        out.write(try matrix(model))

        let directory = try Self.createFolder(
          folder ?? NSTemporaryDirectory() + "bonsai-demo-" + UUID().uuidString)
        defer { if folder == nil { try? FileManager.default.removeItem(atPath: directory) } }
        let input = directory + "/example.safetensors"
        let output = directory + "/example-pruned.safetensors"
        let (activations, gradients) = try ExampleModel.scoreInputs(for: model)
        let examples = OutputSet(syncsToDisk: true)
        try ExampleModel.write(model, to: try examples.stage(input))
        try ExampleModel.write(activations, to: try examples.stage(directory + "/example-activations.safetensors"))
        try ExampleModel.write(gradients, to: try examples.stage(directory + "/example-gradients.safetensors"))
        let hessians: [WeightTensor]
        do {
          hessians = try ExampleModel.hessians(of: activations)
        } catch {
          throw CommandLineError.failure("\(error)")
        }
        try ExampleModel.write(hessians, to: try examples.stage(directory + "/example-hessians.safetensors"))
        try examples.commit()
        try ExampleModel.writeFolder(model, to: directory + "/example-model")
        out.write(
          "\nWrote \(input), with calibration inputs (--activations) and gradients (--gradients) "
            + "for its pruned matrices in example-activations.safetensors and "
            + "example-gradients.safetensors next to it, their Hessians (--hessians) in "
            + "example-hessians.safetensors, and the same tensors as a Hugging Face "
            + "model folder of two shards in example-model.\n")
        out.write("\n$ bonsai prune \(input) -o \(output) --sparsity \(sparsity)\n")
        let job = CheckpointPruning(
          input: input, pruner: Pruner(try PruningConfig(sparsity: sparsity)),
          selection: try TensorSelection(include: [], exclude: []), progressStyle: .quiet)
        let checkpoint = ShardedCheckpoint(file: try CheckpointFile.open(input))
        let plan = try job.plan(checkpoint)
        out.write(PruneOutput.plan(plan))
        let outputs = OutputSet(syncsToDisk: true)
        let outcomes = try job.run(checkpoint, plan: plan, into: try outputs.stage(output))
        try outputs.commit()
        out.write(PruneOutput.table(outcomes))
        out.write("\n$ bonsai report \(output)\n")
        out.write(try CheckpointReport(try CheckpointInput.open(output)).text())
      }
    }

    /// The methods the demonstration runs: every metric that needs no input file at every
    /// granularity, then the per-row and global rankings.
    private func methods() throws -> [(metric: String, method: String, config: PruningConfig)] {
      var methods = [(String, String, PruningConfig)]()
      let metrics: [ImportanceMetric] = [.l1Magnitude, .l2Magnitude, .taylorProxy, .random(seed: 42)]
      let granularities: [PruningGranularity] = [
        .unstructured, .rows, .columns, .semiStructured(keep: 2, of: 4),
        .blocks(try BlockShape(rows: 4, columns: 4)),
      ]
      for metric in metrics {
        for granularity in granularities {
          methods.append(
            (metric.name, granularity.name,
             try PruningConfig(sparsity: sparsity, metric: metric, granularity: granularity)))
        }
      }
      for scope in [PruningScope.perRow, .global] {
        methods.append(
          ("l1", "unstructured \(scope.rawValue)",
           try PruningConfig(sparsity: sparsity, metric: .l1Magnitude, scope: scope)))
      }
      return methods
    }

    /// The overall sparsity each method reaches on the example's matrices.
    private func matrix(_ model: [WeightTensor]) throws -> String {
      let matrices = ExampleModel.prunedByDefault(model)
      var rows = [[String]]()
      for (metric, method, config) in try methods() {
        var pruned = matrices
        let clock = ContinuousClock()
        let elapsed = try clock.measure { try Pruner(config).prune(&pruned) }
        let report = ModelSparsityReport(pruned)
        let milliseconds = Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1e3
        rows.append([
          metric, method, "\(Percent(report.overallSparsity))",
          "\(report.nonzero) of \(report.total)", String(format: "%.1f ms", milliseconds),
        ])
      }
      return TextTable.render(header: ["metric", "granularity", "sparsity", "nonzero", "time"], rows: rows)
    }

    /// Creates `path` (and its parents) unless it exists, and returns it.
    private static func createFolder(_ path: String) throws(CommandLineError) -> String {
      do {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
      } catch {
        throw .failure("cannot create the folder \(path): \(error.localizedDescription)")
      }
      return path
    }
  }
}

extension ExampleModel {
  /// Writes the example's tensors into `file` as an F32 safetensors checkpoint, complete and
  /// sealed; its ``OutputSet`` renames it into place.
  static func write(_ model: [WeightTensor], to file: StagedFile) throws(CommandLineError) {
    do {
      let writer = try SafeTensorsWriter(
        file: file,
        tensors: model.map { TensorHeader(name: $0.name, dtype: .f32, shape: $0.shape) },
        metadata: ["format": "pt", "source": "bonsai demo"])
      for tensor in model {
        try tensor.values.withUnsafeBytes { try writer.append($0) }
      }
      try writer.finishWriting()
    } catch {
      throw .failure("\(error)")
    }
  }
}
