import Pruning
import SafeTensors

/// Where each pruned weight's Hessian H = Σ x·xᵀ of its inputs comes from: `--hessians FILE`,
/// a tensor NAME of shape [in, in] (F32 or F64) for every pruned weight NAME, or, for
/// SparseGPT, `--activations FILE`, calibration inputs NAME [samples, in] (F32, F16 or BF16)
/// from which H = XᵀX is computed (`dsyrk`, in Double).
///
/// Weights that read the same input (q, k and v; gate and up) share one Hessian without
/// storing it twice: when the file has no tensor NAME, its metadata entry NAME names the
/// tensor to use, e.g. `"model.layers.0.self_attn.k_proj.weight":
/// "model.layers.0.self_attn.q_proj.weight"`. The last Hessian read (computed, or factored
/// for SparseGPT) is kept, so a run of weights sharing one is read and factored once.
final class HessianSource {
  /// The file the Hessians (or activations) come from.
  let file: SafeTensorsFile
  /// Whether `file` holds activations [samples, in] rather than Hessians [in, in].
  let fromActivations: Bool
  /// The option that named the file, for messages.
  private var option: String { fromActivations ? "--activations" : "--hessians" }
  /// The last Hessian computed from activations, by source tensor name.
  private var computed: (name: String, hessian: [Double])?
  /// The last SparseGPT factor, by source tensor name.
  private var factored: (name: String, factor: HessianFactor)?

  /// The Hessians of `path` (`--hessians`), or activations (`--activations`, used when
  /// `fromActivations`).
  init(path: String, fromActivations: Bool) throws(CommandLineError) {
    self.file = try CheckpointFile.open(path)
    self.fromActivations = fromActivations
  }

  /// The tensor holding `weight`'s Hessian (or activations), checked against its shape,
  /// before anything is written.
  func check(_ weight: TensorInfo) throws(CommandLineError) {
    _ = try source(for: weight)
  }

  /// The tensor of `file` for `weight`: NAME itself, or the one its metadata entry names.
  private func source(for weight: TensorInfo) throws(CommandLineError) -> TensorInfo {
    let name = file.tensor(named: weight.name) == nil ? file.metadata[weight.name] ?? weight.name : weight.name
    guard let info = file.tensor(named: name) else {
      throw .usage(
        "\(option) \(file.path) has no tensor \"\(weight.name)\" (nor a metadata entry naming the one it shares): give its \(fromActivations ? "inputs" : "Hessian") or --exclude it")
    }
    guard weight.shape.count == 2 else {
      throw .usage("tensor \"\(weight.name)\" has shape \(weight.shape): Hessians belong to 2-D weights [out, in]; --exclude it")
    }
    let columns = weight.shape[1]
    let dtypes: [DType] = fromActivations ? [.f32, .f16, .bf16] : [.f32, .f64]
    guard dtypes.contains(info.dtype) else {
      throw .usage(
        "\(option) \(file.path): tensor \"\(info.name)\" has dtype \(info.dtype.rawValue); expected \(dtypes.map(\.rawValue).joined(separator: " or "))")
    }
    let fits = fromActivations
      ? info.shape.count == 2 && info.shape[0] >= 1 && info.shape[1] == columns
      : info.shape == [columns, columns]
    guard fits else {
      throw .usage(
        "\(option) \(file.path): tensor \"\(info.name)\" has shape \(info.shape); the weight \"\(weight.name)\" of shape \(weight.shape) needs \(fromActivations ? "[samples, \(columns)]" : "[\(columns), \(columns)]")")
    }
    return info
  }

  /// SparseGPT's factor of `weight`'s Hessian (the last one is reused).
  func factor(for weight: TensorInfo, with sparseGPT: SparseGPT) throws(CommandLineError)
    -> HessianFactor
  {
    let info = try source(for: weight)
    if let factored, factored.name == info.name { return factored.factor }
    factored = nil
    let factor = try failing { () throws(SparseGPTError) in
      try withHessian(
        of: info, weight: weight, threads: sparseGPT.threadCount,
        single: { (span) throws(SparseGPTError) in
          try sparseGPT.factor(hessian: span, size: weight.shape[1], name: weight.name)
        },
        double: { (span) throws(SparseGPTError) in
          try sparseGPT.factor(hessian: span, size: weight.shape[1], name: weight.name)
        })
    }
    factored = (info.name, factor)
    return factor
  }

  /// The relative output error sqrt(tr(ΔW·H·ΔWᵀ) / tr(W·H·Wᵀ)) of `weight` pruned from
  /// `original` to `pruned`.
  func relativeOutputError(
    of weight: TensorInfo, original: Span<Float>, pruned: Span<Float>, threads: Int
  ) throws(CommandLineError) -> Double {
    let info = try source(for: weight)
    return try failing { () throws(SparseGPTError) in
      try withHessian(
        of: info, weight: weight, threads: threads,
        single: { (span) throws(SparseGPTError) in
          try OutputError.relative(
            original: original, pruned: pruned, shape: weight.shape, hessian: span,
            name: weight.name, threadCount: threads)
        },
        double: { (span) throws(SparseGPTError) in
          try OutputError.relative(
            original: original, pruned: pruned, shape: weight.shape, hessian: span,
            name: weight.name, threadCount: threads)
        })
    }
  }

  /// Calls `single` or `double` with the Hessian in tensor `info`: read where it lies in the
  /// file (F32 or F64), or computed from activations in Double (and kept for the next
  /// weight that shares it).
  private func withHessian<R>(
    of info: TensorInfo, weight: TensorInfo, threads: Int,
    single: (Span<Float>) throws(SparseGPTError) -> R,
    double: (Span<Double>) throws(SparseGPTError) -> R
  ) throws(SparseGPTError) -> R {
    if fromActivations {
      let hessian = try computedHessian(of: info, weight: weight, threads: threads)
      return try double(hessian.span)
    }
    let result = file.withBytes(of: info) { bytes in
      Result { () throws(SparseGPTError) in
        info.dtype == .f64
          ? try withAlignedElements(bytes, as: Double.self) { span in
            Result { () throws(SparseGPTError) in try double(span) }
          }.get()
          : try withAlignedElements(bytes, as: Float.self) { span in
            Result { () throws(SparseGPTError) in try single(span) }
          }.get()
      }
    }
    return try result.get()
  }

  /// H = XᵀX of the activations in tensor `info` (the last one is reused).
  private func computedHessian(of info: TensorInfo, weight: TensorInfo, threads: Int)
    throws(SparseGPTError) -> [Double]
  {
    if let computed, computed.name == info.name { return computed.hessian }
    computed = nil
    let inputs = file.withBytes(of: info) { FloatValues.widened($0, dtype: info.dtype) }
    let hessian = try CalibrationHessian.hessian(
      ofActivations: inputs.span, shape: info.shape, name: weight.name, threadCount: threads)
    computed = (info.name, hessian)
    return hessian
  }

  /// Runs `body`, its errors as command-line failures naming the file.
  private func failing<R>(_ body: () throws(SparseGPTError) -> R) throws(CommandLineError) -> R {
    do {
      return try body()
    } catch {
      throw .failure("\(file.path): \(error)")
    }
  }
}
