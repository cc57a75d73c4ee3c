// Every size_t the C interface receives becomes an Int here and nowhere else: a value above
// Int.max would turn negative (SIZE_MAX read as −1), and a count larger than its buffer
// makes the library read past it. So each is checked against the largest value it may
// take, and a failure names the argument and the value the caller passed, unsigned.

import CBonsaiABI

/// `value`, the C `size_t` argument `argument`, as an `Int` of at most `limit`.
///
/// - Throws: a report of `status` naming the argument, its value and the limit (`why`
///   says what the limit is) when `value` exceeds it.
func checkedSize(
  _ value: UInt, _ argument: String, atMost limit: Int = Int.max,
  _ why: @autoclosure () -> String = "the largest size a buffer can have",
  status: bonsai_status = BONSAI_ERROR_BUFFER_TOO_SMALL
) throws(ErrorReport) -> Int {
  guard let size = Int(exactly: value), size <= limit else {
    throw ErrorReport(status, "\(argument) \(value) is above \(limit), \(why())")
  }
  return size
}

/// A `size_t` field of a C struct, which Swift imports as `Int`, checked as `checkedSize`.
func checkedSize(
  field value: Int, _ argument: String, atMost limit: Int = Int.max,
  _ why: @autoclosure () -> String = "the largest size a buffer can have",
  status: bonsai_status = BONSAI_ERROR_BUFFER_TOO_SMALL
) throws(ErrorReport) -> Int {
  try checkedSize(UInt(bitPattern: value), argument, atMost: limit, why(), status: status)
}
