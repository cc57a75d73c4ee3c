// bonsai_input_norms: calibration inputs checked and handed to
// `ActivationNorms.columnNorms(of:shape:name:threadCount:)`.

import CBonsaiABI
import Pruning

/// Writes the column norms of calibration inputs; see bonsai.h.
@_cdecl("bonsai_input_norms")
public func bonsaiInputNorms(
  _ dtype: bonsai_dtype, _ samples: UnsafeRawPointer?, _ rows: Int64, _ columns: Int64,
  _ norms: UnsafeMutablePointer<Float>?, _ normsCount: UInt,
  _ error: UnsafeMutablePointer<bonsai_error>?
) -> bonsai_status {
  reporting(to: error) { () throws(ErrorReport) in
    guard let samples else { throw .null("samples") }
    guard let norms else { throw .null("norms") }
    let shape = [Int(rows), Int(columns)]
    let count = try elementCount(shape)
    let normsCount = try checkedSize(normsCount, "norms_count")
    guard normsCount >= shape[1] else {
      throw ErrorReport(
        BONSAI_ERROR_BUFFER_TOO_SMALL, "norms of \(normsCount) floats cannot hold \(columns)")
    }
    let values: [Float]
    switch dtype {
    case BONSAI_DTYPE_F32: values = try columnNorms(samples, as: Float.self, count, shape)
    case BONSAI_DTYPE_F16: values = try columnNorms(samples, as: Float16.self, count, shape)
    case BONSAI_DTYPE_BF16: values = try columnNorms(samples, as: BFloat16.self, count, shape)
    default: throw ErrorReport.unknownDType(dtype, of: "samples")
    }
    _ = UnsafeMutableBufferPointer(start: norms, count: values.count).update(fromContentsOf: values)
  }
}

/// The column norms of `count` elements of `Scalar` at `samples`, read through an aligned
/// copy when they are not aligned.
private func columnNorms<Scalar: PrunableScalar>(
  _ samples: UnsafeRawPointer, as type: Scalar.Type, _ count: Int, _ shape: [Int]
) throws(ErrorReport) -> [Float] {
  let bytes = UnsafeRawBufferPointer(start: samples, count: count * MemoryLayout<Scalar>.stride)
  let norms = withAlignedElements(bytes, as: type) { span in
    Result { () throws(PruningError) in
      try ActivationNorms.columnNorms(of: span, shape: shape, name: "samples")
    }
  }
  do {
    return try norms.get()
  } catch .invalidScoreInput(_, "calibration inputs", let bad, _) {
    throw ErrorReport(
      BONSAI_ERROR_INVALID_SCORES, "samples: \(bad) non-finite inputs (NaN or ±Inf)")
  } catch {
    throw ErrorReport(error)
  }
}
