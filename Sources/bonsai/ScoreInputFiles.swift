import ModelFolders
import Pruning
import SafeTensors

/// The files that score inputs come from: `--gradients` for Taylor scores |w·g| and
/// `--activations` for Wanda's |w|·‖X_j‖, each a safetensors file, or a folder of shards
/// as for weights, keyed by weight name: they may cover the tensors of any shard.
struct ScoreInputFiles {
  /// Score inputs read from a file or folder.
  struct Source {
    /// The path given on the command line.
    let path: String
    /// The tensors, by weight name.
    let checkpoint: ShardedCheckpoint
  }

  /// Gradients with the weights' names and shapes.
  let gradients: Source?
  /// Per weight `NAME`, a vector of input norms `[in]` or calibration inputs `[samples, in]`.
  let activations: Source?

  /// No score inputs.
  static let none = ScoreInputFiles(gradients: nil, activations: nil)
}

extension ScoreInputFiles {
  /// Opens the files given on the command line, checking they fit the metric.
  init(gradients: String?, activations: String?, metric: MetricOption) throws(CommandLineError) {
    if gradients != nil && metric != .taylor {
      throw .usage("--gradients is used by --metric taylor only, not \(metric.rawValue)")
    }
    if activations != nil && metric != .wanda {
      throw .usage("--activations is used by --metric wanda or sparsegpt only, not \(metric.rawValue)")
    }
    if metric == .wanda && activations == nil {
      throw .usage("--metric wanda needs --activations FILE: the input norms of every pruned weight")
    }
    func open(_ path: String) throws(CommandLineError) -> Source {
      Source(path: path, checkpoint: try CheckpointInput.open(path).checkpoint)
    }
    self.init(
      gradients: try gradients.map { path throws(CommandLineError) in try open(path) },
      activations: try activations.map { path throws(CommandLineError) in try open(path) })
  }

  /// Where the scores of a pruned tensor come from, for the report.
  func source(of metric: ImportanceMetric) -> String {
    switch metric {
    case .taylor: "gradients (\(gradients?.path ?? ""))"
    case .taylorProxy: "proxy w² (no gradients)"
    case .wanda: "activations (\(activations?.path ?? ""))"
    case .random(let seed): "random (seed \(seed))"
    default: "weights"
    }
  }

  /// Checks, before anything is written, that `tensor` has the input its metric needs.
  func check(_ tensor: TensorInfo) throws(CommandLineError) {
    _ = try entry(for: tensor)
  }

  /// The score input of `tensor`: its gradients widened to `Float`, or its input norms
  /// (computed from calibration inputs through the BLAS column norms); nil when the metric
  /// needs none. Its values are checked here, so that an error names the file they come
  /// from (`--activations FILE: tensor "…": …`), not the checkpoint.
  func input(for tensor: TensorInfo, threads: Int?) throws(CommandLineError) -> ScoreInput? {
    guard let (source, info) = try entry(for: tensor) else { return nil }
    do {
      try source.checkpoint.checkNotTruncated(info)
    } catch {
      throw .failure("\(error)")
    }
    // The metric takes gradients or activations, never both.
    let option = gradients != nil ? "--gradients" : "--activations"
    if gradients == nil, info.shape.count == 2, info.shape[0] == 0 {
      throw .failure(
        "\(option) \(source.path): tensor \"\(info.name)\" has shape \(info.shape): no calibration samples, so every input norm would be 0 and Wanda's choice would fall to index order; capture its inputs or --exclude it")
    }
    let values = source.checkpoint.withBytes(of: info) { FloatValues.widened($0, dtype: info.dtype) }
    let input: ScoreInput
    do {
      if gradients != nil {
        input = .gradients(values)
      } else if info.shape.count == 1 {
        input = .inputNorms(values)
      } else {
        input = .inputNorms(
          try ActivationNorms.columnNorms(
            of: values.span, shape: info.shape, name: info.name, threadCount: threads))
      }
      try input.checkValues(name: info.name)
    } catch {
      throw .failure("\(option) \(source.path): \(error)")
    }
    if case .inputNorms(let norms) = input, !norms.isEmpty, norms.allSatisfy({ $0 == 0 }) {
      throw .failure(
        "\(option) \(source.path): tensor \"\(info.name)\": every input norm is 0 (its calibration inputs are all zero), so Wanda's scores would all be 0 and the choice would fall to index order; give its real inputs or --exclude it")
    }
    return input
  }

  /// The file and tensor holding `tensor`'s input, checked against its shape.
  private func entry(for tensor: TensorInfo) throws(CommandLineError) -> (Source, TensorInfo)? {
    if let gradients {
      guard let info = gradients.checkpoint.tensor(named: tensor.name) else {
        throw .usage(
          "--gradients \(gradients.path) has no tensor \"\(tensor.name)\": give its gradients or --exclude it")
      }
      try checkDType(info, in: gradients, option: "--gradients")
      guard info.shape == tensor.shape else {
        throw .usage(
          "--gradients \(gradients.path): tensor \"\(tensor.name)\" has shape \(info.shape), but the weight has \(tensor.shape)")
      }
      return (gradients, info)
    }
    if let activations {
      guard let info = activations.checkpoint.tensor(named: tensor.name) else {
        throw .usage(
          "--activations \(activations.path) has no tensor \"\(tensor.name)\": give its input norms or --exclude it")
      }
      try checkDType(info, in: activations, option: "--activations")
      let columns = tensor.shape.count == 2 ? tensor.shape[1] : tensor.elementCount
      guard info.shape == [columns] || info.shape.count == 2 && info.shape[1] == columns else {
        throw .usage(
          "--activations \(activations.path): tensor \"\(tensor.name)\" has shape \(info.shape); expected [\(columns)] norms or [samples, \(columns)] inputs for the weight of shape \(tensor.shape)")
      }
      return (activations, info)
    }
    return nil
  }

  private func checkDType(_ info: TensorInfo, in source: Source, option: String)
    throws(CommandLineError)
  {
    guard info.dtype.isPrunable else {
      throw .usage(
        "\(option) \(source.path): tensor \"\(info.name)\" has dtype \(info.dtype.rawValue); only F32, F16 and BF16 are read")
    }
  }
}

/// Widening F32, F16 and BF16 elements to `Float`.
enum FloatValues {
  /// The elements of `dtype` stored in `bytes`, as `Float`s (exact).
  static func widened(_ bytes: UnsafeRawBufferPointer, dtype: DType) -> [Float] {
    widened(bytes, as: dtype.checkedPrunableScalar)
  }

  private static func widened<Scalar: PrunableScalar>(
    _ bytes: UnsafeRawBufferPointer, as _: Scalar.Type
  ) -> [Float] {
    withAlignedElements(bytes, as: Scalar.self) { $0.widened() }
  }
}
