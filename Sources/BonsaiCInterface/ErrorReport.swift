import CBonsaiABI
import Pruning

/// How a failure crosses the C boundary: a status code, and a message copied into the
/// caller's `bonsai_error` when it passed one.
struct ErrorReport: Error {
  let status: bonsai_status
  let message: String

  /// The report of a library error: its message, and the status of its kind.
  init(_ error: PruningError) {
    message = error.description
    switch error {
    case .sparsityOutOfRange, .negativeMinNonzero, .invalidPattern, .iterativePattern,
      .invalidBlockShape, .scopeNeedsUnstructured, .scopeMismatch, .minNonzeroExceedsCount,
      .invalidSchedule, .duplicateTensor, .unknownTensor, .unsupportedChannelMetric,
      .negativeCount, .inconsistentCounts, .invalidIndices, .invalidSplitRanking:
      status = BONSAI_ERROR_INVALID_OPTION
    case .emptyTensor, .notAMatrix, .shapeMismatch, .rowNotDivisible, .channelMismatch,
      .rankedShapeMismatch, .rankedElementTypeMismatch, .maskMismatch:
      status = BONSAI_ERROR_INVALID_SHAPE
    case .missingScoreInput, .unexpectedScoreInput, .scoreInputCount, .invalidScoreInput,
      .activationShape:
      status = BONSAI_ERROR_INVALID_SCORES
    case .nonFiniteWeights:
      status = BONSAI_ERROR_NON_FINITE_WEIGHTS
    }
  }

  /// A report of `status` with `message`.
  init(_ status: bonsai_status, _ message: String) {
    self.status = status
    self.message = message
  }

  /// A report for a NULL pointer argument.
  static func null(_ argument: String) -> ErrorReport {
    ErrorReport(BONSAI_ERROR_NULL_POINTER, "\(argument) is NULL")
  }

  /// The report of a SparseGPT error: a shared pruning error's status, or its own.
  init(_ error: SparseGPTError) {
    switch error {
    case .pruning(let error):
      self.init(error)
    case .invalidBlockSize, .blockSizeNotMultipleOfGroup, .invalidDampening, .unsupported:
      self.init(BONSAI_ERROR_INVALID_OPTION, error.description)
    case .hessianShape, .nonFiniteHessian, .hessianNotPositiveSemidefinite:
      self.init(BONSAI_ERROR_INVALID_HESSIAN, error.description)
    }
  }

  /// A report for a dtype `argument` (weights, samples, a Hessian) cannot have: it takes
  /// `allowed`.
  static func unknownDType(
    _ dtype: bonsai_dtype, of argument: String, takes allowed: String = "F32, F16 or BF16"
  ) -> ErrorReport {
    let name: String
    switch dtype {
    case BONSAI_DTYPE_F32: name = "F32"
    case BONSAI_DTYPE_F16: name = "F16"
    case BONSAI_DTYPE_BF16: name = "BF16"
    case BONSAI_DTYPE_F64: name = "F64"
    default:
      return ErrorReport(
        BONSAI_ERROR_INVALID_OPTION, "dtype \(dtype.rawValue) is not one of bonsai.h's values")
    }
    return ErrorReport(
      BONSAI_ERROR_INVALID_OPTION, "\(argument) of dtype \(name): it takes \(allowed)")
  }

  /// Writes the status and the message, cut at a character boundary to fit with its NUL,
  /// into `error` (when not NULL); returns the status.
  func write(to error: UnsafeMutablePointer<bonsai_error>?) -> bonsai_status {
    guard let error else { return status }
    error.pointee.status = status
    withUnsafeMutableBytes(of: &error.pointee.message) { bytes in
      var length = 0
      for character in message {
        let utf8 = character.utf8
        guard length + utf8.count < bytes.count else { break }
        for byte in utf8 {
          bytes[length] = byte
          length += 1
        }
      }
      bytes[length] = 0
    }
    return status
  }
}

/// Runs `body`, turning a thrown report into its status (written to `target`).
func reporting(
  to target: UnsafeMutablePointer<bonsai_error>?, _ body: () throws(ErrorReport) -> Void
) -> bonsai_status {
  do {
    try body()
    return BONSAI_OK
  } catch {
    return error.write(to: target)
  }
}
