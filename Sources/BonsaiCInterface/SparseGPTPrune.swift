// bonsai_sparsegpt_options_init, bonsai_sparsegpt: a caller's weights, Hessian (or the
// calibration inputs it is formed from), options and callbacks checked and handed to
// `SparseGPT.pruned(_:shape:name:factor:checkpoint:)`, which sweeps a Float copy; the
// output error is measured on the result as it will be written, and the result written
// into the caller's buffer only then, so that a cancelled or failing call changes nothing.

import CBonsaiABI
import Pruning

/// Fills `options` with the defaults of `bonsai prune --metric sparsegpt`; see bonsai.h.
@_cdecl("bonsai_sparsegpt_options_init")
public func bonsaiSparseGPTOptionsInit(_ options: UnsafeMutablePointer<bonsai_sparsegpt_options>?)
{
  options?.pointee = bonsai_sparsegpt_options(
    sparsity: 0.5, keep: 0, group: 0, per_row: 0, measure_output_error: 1, min_nonzero: 1,
    block_size: 128, dampening: 0.01, threads: 0)
}

/// Prunes a matrix by SparseGPT; see bonsai.h.
@_cdecl("bonsai_sparsegpt")
public func bonsaiSparseGPT(
  _ options: UnsafePointer<bonsai_sparsegpt_options>?, _ dtype: bonsai_dtype,
  _ weights: UnsafeMutableRawPointer?, _ rows: Int64, _ columns: Int64,
  _ name: UnsafePointer<CChar>?, _ hessian: UnsafePointer<bonsai_hessian>?,
  _ callbacks: UnsafePointer<bonsai_callbacks>?, _ mask: UnsafeMutablePointer<UInt8>?,
  _ maskBytes: UInt, _ result: UnsafeMutablePointer<bonsai_sparsegpt_result>?,
  _ error: UnsafeMutablePointer<bonsai_error>?
) -> bonsai_status {
  reporting(to: error) { () throws(ErrorReport) in
    guard let options = options?.pointee else { throw .null("options") }
    guard let weights else { throw .null("weights") }
    guard let hessian = hessian?.pointee else { throw .null("hessian") }
    guard hessian.values != nil else { throw .null("hessian.values") }
    let sparseGPT = try sparseGPT(options)
    let shape = [Int(rows), Int(columns)]
    let count = try elementCount(shape)
    let maskBytes = try checkedSize(maskBytes, "mask_bytes")
    if mask != nil, maskBytes < (count + 7) / 8 {
      throw ErrorReport(
        BONSAI_ERROR_BUFFER_TOO_SMALL,
        "mask of \(maskBytes) bytes cannot hold the \(count) bits of shape \(shape)")
    }
    let tensor = name.map { String(cString: $0) } ?? "tensor"
    // Said before the Hessian is read: an empty weight has no Hessian to check against.
    guard count > 0 else { throw ErrorReport(PruningError.emptyTensor(name: tensor)) }
    let call = Call(
      sparseGPT: sparseGPT, shape: shape, name: tensor,
      measuring: options.measure_output_error != 0, checkpoint: checkpoint(callbacks))
    let outcome: (mask: PruningMask, outputError: Double)?
    switch dtype {
    case BONSAI_DTYPE_F32: outcome = try call.run(weights, as: Float.self, hessian)
    case BONSAI_DTYPE_F16: outcome = try call.run(weights, as: Float16.self, hessian)
    case BONSAI_DTYPE_BF16: outcome = try call.run(weights, as: BFloat16.self, hessian)
    default: throw ErrorReport.unknownDType(dtype, of: "weights")
    }
    guard let outcome else { throw ErrorReport.cancelled }
    if let mask {
      outcome.mask.copyPackedBits(into: UnsafeMutableRawBufferPointer(start: mask, count: maskBytes))
    }
    result?.pointee = bonsai_sparsegpt_result(
      element_count: UInt64(count), kept_count: UInt64(outcome.mask.keptCount),
      relative_output_error: outcome.outputError)
  }
}

/// The library's SparseGPT for the caller's options.
private func sparseGPT(_ options: bonsai_sparsegpt_options) throws(ErrorReport) -> SparseGPT {
  guard options.threads >= 0 else {
    throw ErrorReport(BONSAI_ERROR_INVALID_OPTION, "threads \(options.threads) is negative")
  }
  let granularity: PruningGranularity =
    options.group == 0
    ? .unstructured : .semiStructured(keep: Int(options.keep), of: Int(options.group))
  do {
    let config = try SparseGPTConfig(
      sparsity: options.sparsity, granularity: granularity,
      scope: options.per_row != 0 ? .perRow : .tensor, minNonzero: Int(options.min_nonzero),
      blockSize: Int(options.block_size), dampening: options.dampening)
    return SparseGPT(config, threadCount: options.threads == 0 ? nil : Int(options.threads))
  } catch {
    throw ErrorReport(error)
  }
}

/// One bonsai_sparsegpt call after its arguments are checked.
private struct Call {
  let sparseGPT: SparseGPT
  let shape: [Int]
  let name: String
  let measuring: Bool
  let checkpoint: (Double) -> Bool

  /// Prunes the weights at `weights` (of `Scalar`, at any alignment) with `hessian`, writing
  /// them only when the sweep is complete and the output error measured; nil when cancelled.
  func run<Scalar: UpdatableScalar>(
    _ weights: UnsafeMutableRawPointer, as _: Scalar.Type, _ hessian: bonsai_hessian
  ) throws(ErrorReport) -> (mask: PruningMask, outputError: Double)? {
    let bytes = UnsafeMutableRawBufferPointer(
      start: weights, count: shape[0] * shape[1] * MemoryLayout<Scalar>.stride)
    guard checkpoint(0) else { return nil }
    return try withHessian(hessian) { (h) throws(SparseGPTError) in
      let factor = try h.factor(with: sparseGPT, size: shape[1], name: name)
      let outcome = withAlignedElements(UnsafeRawBufferPointer(bytes), as: Scalar.self) {
        original in
        Result { () throws(SparseGPTError) -> (weights: [Scalar], PruningMask, Double)? in
          guard let pruned = try sparseGPT.pruned(
            original, shape: shape, name: name, factor: factor, checkpoint: checkpoint)
          else { return nil }
          let error = measuring
            ? try h.outputError(original, pruned.weights.span, shape: shape, name: name,
              threads: sparseGPT.threadCount) : .nan
          return (pruned.weights, pruned.mask, error)
        }
      }
      guard let done = try outcome.get() else { return nil }
      done.weights.withUnsafeBytes { bytes.copyMemory(from: $0) }
      return (done.1, done.2)
    }
  }

  /// Calls `body` with the Hessian `hessian` describes: read where it lies (through an
  /// aligned copy when it is not aligned), or formed from calibration inputs.
  private func withHessian<R>(
    _ hessian: bonsai_hessian, _ body: (HessianValues) throws(SparseGPTError) -> R?
  ) throws(ErrorReport) -> R? {
    let n = shape[1]
    let rows = Int(hessian.rows)
    let result: Result<R?, SparseGPTError>
    switch (hessian.kind, hessian.dtype) {
    case (BONSAI_HESSIAN_MATRIX, BONSAI_DTYPE_F32), (BONSAI_HESSIAN_MATRIX, BONSAI_DTYPE_F64):
      guard rows == n else {
        throw ErrorReport(SparseGPTError.hessianShape(name: name, shape: [rows, rows], expected: [n, n]))
      }
      let count = try elementCount([n, n])
      if hessian.dtype == BONSAI_DTYPE_F32 {
        result = withElements(hessian.values, count, as: Float.self) { span in
          span.withUnsafeBufferPointer { values in
            Result { () throws(SparseGPTError) in try body(.single(values)) }
          }
        }
      } else {
        result = withElements(hessian.values, count, as: Double.self) { span in
          span.withUnsafeBufferPointer { values in
            Result { () throws(SparseGPTError) in try body(.double(values)) }
          }
        }
      }
    case (BONSAI_HESSIAN_MATRIX, _):
      throw ErrorReport.unknownDType(hessian.dtype, of: "a Hessian", takes: "F32 or F64")
    case (BONSAI_HESSIAN_INPUTS, _):
      let count = try elementCount([rows, n])
      let inputs: [Float]
      switch hessian.dtype {
      case BONSAI_DTYPE_F32: inputs = widened(hessian.values, count, as: Float.self)
      case BONSAI_DTYPE_F16: inputs = widened(hessian.values, count, as: Float16.self)
      case BONSAI_DTYPE_BF16: inputs = widened(hessian.values, count, as: BFloat16.self)
      default: throw ErrorReport.unknownDType(hessian.dtype, of: "calibration inputs")
      }
      result = inputs.withUnsafeBufferPointer { inputs in
        Result { () throws(SparseGPTError) in
          let h = try CalibrationHessian.hessian(
            ofActivations: inputs.span, shape: [rows, n], name: name,
            threadCount: sparseGPT.threadCount)
          return try h.withUnsafeBufferPointer { values throws(SparseGPTError) in
            try body(.double(values))
          }
        }
      }
    default:
      throw ErrorReport(
        BONSAI_ERROR_INVALID_OPTION,
        "hessian.kind \(hessian.kind.rawValue) is not one of bonsai.h's values")
    }
    do {
      return try result.get()
    } catch {
      throw ErrorReport(error)
    }
  }
}

/// `count` elements of `Scalar` at `address` (any alignment), as a span.
private func withElements<Scalar: BitwiseCopyable, R>(
  _ address: UnsafeRawPointer?, _ count: Int, as type: Scalar.Type, _ body: (Span<Scalar>) -> R
) -> R {
  let bytes = UnsafeRawBufferPointer(start: address, count: count * MemoryLayout<Scalar>.stride)
  return withAlignedElements(bytes, as: type, body)
}

/// `count` elements of `Scalar` at `address` (any alignment), widened to Float.
private func widened<Scalar: PrunableScalar>(
  _ address: UnsafeRawPointer?, _ count: Int, as type: Scalar.Type
) -> [Float] {
  withElements(address, count, as: type) { $0.widened() }
}

/// A Hessian read where it lies, in its own precision.
private enum HessianValues {
  case single(UnsafeBufferPointer<Float>)
  case double(UnsafeBufferPointer<Double>)

  /// SparseGPT's factor of this Hessian.
  func factor(with sparseGPT: SparseGPT, size: Int, name: String)
    throws(SparseGPTError) -> HessianFactor
  {
    switch self {
    case .single(let values): try sparseGPT.factor(hessian: values.span, size: size, name: name)
    case .double(let values): try sparseGPT.factor(hessian: values.span, size: size, name: name)
    }
  }

  /// The relative output error of `pruned` against `original`, both widened to Float as
  /// the command line measures them (F32 read as they are).
  func outputError<Scalar: UpdatableScalar>(
    _ original: Span<Scalar>, _ pruned: Span<Scalar>, shape: [Int], name: String,
    threads: Int
  ) throws(SparseGPTError) -> Double {
    let (before, after) = (original.widened(), pruned.widened())
    switch self {
    case .single(let values):
      return try OutputError.relative(
        original: before.span, pruned: after.span, shape: shape, hessian: values.span,
        name: name, threadCount: threads)
    case .double(let values):
      return try OutputError.relative(
        original: before.span, pruned: after.span, shape: shape, hessian: values.span,
        name: name, threadCount: threads)
    }
  }
}
