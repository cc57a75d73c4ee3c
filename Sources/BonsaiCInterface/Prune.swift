// bonsai_prune: a caller's buffer, shape, score input and callbacks checked and handed to
// `Pruner.prune(_:shape:name:input:checkpoint:)` as a span of the buffer's own dtype.

import CBonsaiABI
import Pruning

/// Prunes a buffer in place; see bonsai.h.
@_cdecl("bonsai_prune")
public func bonsaiPrune(
  _ config: OpaquePointer?, _ dtype: bonsai_dtype, _ values: UnsafeMutableRawPointer?,
  _ shape: UnsafePointer<Int64>?, _ rank: Int, _ name: UnsafePointer<CChar>?,
  _ scores: UnsafePointer<bonsai_scores>?,
  _ callbacks: UnsafePointer<bonsai_callbacks>?, _ mask: UnsafeMutablePointer<UInt8>?,
  _ maskBytes: Int, _ result: UnsafeMutablePointer<bonsai_result>?,
  _ error: UnsafeMutablePointer<bonsai_error>?
) -> bonsai_status {
  reporting(to: error) { () throws(ErrorReport) in
    guard let config else { throw .null("config") }
    guard let values else { throw .null("values") }
    guard rank == 0 || shape != nil else { throw .null("shape") }
    let dimensions = UnsafeBufferPointer(start: shape, count: rank).map { Int($0) }
    let count = try elementCount(dimensions)
    if mask != nil, maskBytes < (count + 7) / 8 {
      throw ErrorReport(
        BONSAI_ERROR_BUFFER_TOO_SMALL,
        "mask of \(maskBytes) bytes cannot hold the \(count) bits of shape \(dimensions)")
    }
    let input = try scoreInput(scores)
    let pruner = Configuration.from(config).pruner
    let tensor = name.map { String(cString: $0) } ?? "tensor"
    let checkpoint = { (fraction: Double) -> Bool in
      guard let callbacks else { return true }
      callbacks.pointee.progress?(fraction, callbacks.pointee.context)
      return callbacks.pointee.cancel.map { $0(callbacks.pointee.context) == 0 } ?? true
    }
    let outcome: PruningMask?
    switch dtype {
    case BONSAI_DTYPE_F32:
      outcome = try prune(
        values, as: Float.self, count, pruner, dimensions, tensor, input, checkpoint)
    case BONSAI_DTYPE_F16:
      outcome = try prune(
        values, as: Float16.self, count, pruner, dimensions, tensor, input, checkpoint)
    case BONSAI_DTYPE_BF16:
      outcome = try prune(
        values, as: BFloat16.self, count, pruner, dimensions, tensor, input, checkpoint)
    default: throw ErrorReport.unknownDType(dtype)
    }
    guard let kept = outcome else {
      throw ErrorReport(BONSAI_ERROR_CANCELLED, "cancelled before the weights were changed")
    }
    if let mask {
      kept.copyPackedBits(into: UnsafeMutableRawBufferPointer(start: mask, count: maskBytes))
    }
    result?.pointee = bonsai_result(
      element_count: UInt64(count), kept_count: UInt64(kept.keptCount))
  }
}

/// The number of elements of a shape: its product, each dimension at least 0.
func elementCount(_ shape: [Int]) throws(ErrorReport) -> Int {
  var count = 1
  for dimension in shape {
    let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
    guard dimension >= 0, !overflow, product <= Int.max / 4 else {
      throw ErrorReport(BONSAI_ERROR_INVALID_SHAPE, "shape \(shape) is not a valid tensor shape")
    }
    count = product
  }
  return count
}

/// The library's score input for the caller's, checked for NULL values.
private func scoreInput(_ scores: UnsafePointer<bonsai_scores>?) throws(ErrorReport)
  -> ScoreInput?
{
  guard let scores = scores?.pointee else { return nil }
  guard scores.values != nil || scores.count == 0 else { throw .null("scores.values") }
  let values = Array(UnsafeBufferPointer(start: scores.values, count: scores.count))
  switch scores.kind {
  case BONSAI_SCORES_GRADIENTS: return .gradients(values)
  case BONSAI_SCORES_INPUT_NORMS: return .inputNorms(values)
  case BONSAI_SCORES_SCORES: return .scores(values)
  default:
    throw ErrorReport(
      BONSAI_ERROR_INVALID_OPTION,
      "score kind \(scores.kind.rawValue) is not one of bonsai.h's values")
  }
}

/// `pointer` as a pointer to `Scalar`, checked for alignment (`argument` names it).
func aligned<Scalar>(_ pointer: UnsafeRawPointer, as type: Scalar.Type, _ argument: String)
  throws(ErrorReport) -> UnsafePointer<Scalar>
{
  guard Int(bitPattern: pointer) % MemoryLayout<Scalar>.alignment == 0 else {
    throw ErrorReport(
      BONSAI_ERROR_INVALID_SHAPE,
      "\(argument) is not aligned to the \(MemoryLayout<Scalar>.alignment) bytes of its dtype")
  }
  return pointer.assumingMemoryBound(to: type)
}

/// Prunes `count` elements of `Scalar` at `values`, checked for alignment.
private func prune<Scalar: PrunableScalar>(
  _ values: UnsafeMutableRawPointer, as type: Scalar.Type, _ count: Int, _ pruner: Pruner,
  _ shape: [Int], _ name: String, _ input: ScoreInput?, _ checkpoint: (Double) -> Bool
) throws(ErrorReport) -> PruningMask? {
  let start = UnsafeMutablePointer(mutating: try aligned(values, as: type, "values"))
  let buffer = UnsafeMutableBufferPointer(start: start, count: count)
  var span = buffer.mutableSpan
  do {
    return try pruner.prune(
      &span, shape: shape, name: name, input: input, checkpoint: checkpoint)
  } catch {
    throw ErrorReport(error)
  }
}
