// bonsai_prune: a caller's buffer, shape, score input and callbacks checked and handed to
// `Pruner.prune(_:shape:name:input:checkpoint:)` as a span of the buffer's own dtype
// (through an aligned copy when the buffer is not aligned for it).

import CBonsaiABI
import Pruning

/// Prunes a buffer in place; see bonsai.h.
@_cdecl("bonsai_prune")
public func bonsaiPrune(
  _ config: OpaquePointer?, _ dtype: bonsai_dtype, _ values: UnsafeMutableRawPointer?,
  _ shape: UnsafePointer<Int64>?, _ rank: UInt, _ name: UnsafePointer<CChar>?,
  _ scores: UnsafePointer<bonsai_scores>?,
  _ callbacks: UnsafePointer<bonsai_callbacks>?, _ mask: UnsafeMutablePointer<UInt8>?,
  _ maskBytes: UInt, _ result: UnsafeMutablePointer<bonsai_result>?,
  _ error: UnsafeMutablePointer<bonsai_error>?
) -> bonsai_status {
  reporting(to: error) { () throws(ErrorReport) in
    guard let config else { throw .null("config") }
    guard let values else { throw .null("values") }
    let rank = try checkedSize(
      rank, "rank", atMost: Int(BONSAI_MAX_RANK), "BONSAI_MAX_RANK",
      status: BONSAI_ERROR_INVALID_SHAPE)
    guard rank == 0 || shape != nil else { throw .null("shape") }
    let dimensions = UnsafeBufferPointer(start: shape, count: rank).map { Int($0) }
    let count = try elementCount(dimensions)
    let maskBytes = try checkedSize(maskBytes, "mask_bytes")
    if mask != nil, maskBytes < (count + 7) / 8 {
      throw ErrorReport(
        BONSAI_ERROR_BUFFER_TOO_SMALL,
        "mask of \(maskBytes) bytes cannot hold the \(count) bits of shape \(dimensions)")
    }
    let input = try scoreInput(scores, elementCount: count)
    let pruner = Configuration.from(config).pruner
    let tensor = name.map { String(cString: $0) } ?? "tensor"
    let checkpoint = checkpoint(callbacks)
    func prune<Scalar: PrunableScalar>(_: Scalar.Type) throws(ErrorReport) -> PruningMask? {
      let bytes = UnsafeMutableRawBufferPointer(
        start: values, count: count * MemoryLayout<Scalar>.stride)
      let outcome = withAlignedMutableElements(bytes, as: Scalar.self) { span in
        Result { () throws(PruningError) -> PruningMask? in
          // Without callbacks nothing can stop the call: the mask is decided and applied in
          // one pass, not a dry run and a second pass.
          guard callbacks != nil else {
            return try pruner.prune(&span, shape: dimensions, name: tensor, input: input)
          }
          return try pruner.prune(
            &span, shape: dimensions, name: tensor, input: input, checkpoint: checkpoint)
        }
      }
      do {
        return try outcome.get()
      } catch {
        throw ErrorReport(error)
      }
    }
    let outcome: PruningMask?
    switch dtype {
    case BONSAI_DTYPE_F32: outcome = try prune(Float.self)
    case BONSAI_DTYPE_F16: outcome = try prune(Float16.self)
    case BONSAI_DTYPE_BF16: outcome = try prune(BFloat16.self)
    default: throw ErrorReport.unknownDType(dtype, of: "weights")
    }
    guard let kept = outcome else { throw ErrorReport.cancelled }
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
    guard dimension >= 0, !overflow, product <= Int.max / 8 else {
      throw ErrorReport(BONSAI_ERROR_INVALID_SHAPE, "shape \(shape) is not a valid tensor shape")
    }
    count = product
  }
  return count
}

/// The library's score input for the caller's, checked for NULL values and for a count no
/// kind can take (the most is one per element) before any value is read.
private func scoreInput(_ scores: UnsafePointer<bonsai_scores>?, elementCount: Int)
  throws(ErrorReport) -> ScoreInput?
{
  guard let scores = scores?.pointee else { return nil }
  let count = try checkedSize(
    field: scores.count, "scores.count", atMost: elementCount,
    "the tensor's element count", status: BONSAI_ERROR_INVALID_SCORES)
  guard scores.values != nil || count == 0 else { throw .null("scores.values") }
  let values = Array(UnsafeBufferPointer(start: scores.values, count: count))
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
