// How many bytes a tensor of a given dtype and shape occupies, computed without ever
// trapping: every number here may come from a hostile file. The writer uses the same rules
// as the reader, so it can never produce a file the reader rejects.

/// Why a dtype and shape do not describe a storable tensor.
enum ByteCountProblem: Error, Equatable {
  /// A dimension is negative (only possible for shapes given to the writer).
  case negativeDimension(index: Int, value: Int)
  /// The element or bit count does not fit in `Int`.
  case overflow
  /// The elements add up to a bit count that is not a whole number of bytes.
  case partialByte(elements: Int, bits: Int)

  /// A one-line explanation naming the shape and dtype, e.g.
  /// `shape [3] of F4 is 12 bits, not a whole number of bytes`.
  func message(dtype: DType, shape: [Int]) -> String {
    let described = "shape \(describeShape(shape)) of \(dtype.rawValue)"
    switch self {
    case .negativeDimension(let index, let value):
      return "shape[\(index)] is \(value); dimensions must be non-negative"
    case .overflow:
      return "\(described) has more elements or bits than fit in a 64-bit integer (overflow)"
    case .partialByte(let elements, let bits):
      return "\(described) is \(elements) elements of \(dtype.bitWidth) bits = \(bits) bits, "
        + "not a whole number of bytes"
    }
  }
}

extension DType {
  /// The number of bytes `shape` elements of this type occupy: product(shape) × bitWidth / 8.
  ///
  /// A shape with a zero dimension holds no elements; the product of its non-zero dimensions
  /// must still fit in `Int`, so the result never depends on the order of the dimensions
  /// (the reference implementation rejects `[2^32, 2^32, 0]` but accepts `[0, 2^32, 2^32]`).
  /// The scalar shape `[]` holds one element.
  func byteCount(forShape shape: [Int]) throws(ByteCountProblem) -> Int {
    var nonZeroProduct = 1
    var hasZero = false
    for (index, dimension) in shape.enumerated() {
      if dimension < 0 { throw .negativeDimension(index: index, value: dimension) }
      if dimension == 0 {
        hasZero = true
        continue
      }
      let (product, overflow) = nonZeroProduct.multipliedReportingOverflow(by: dimension)
      if overflow { throw .overflow }
      nonZeroProduct = product
    }
    let elements = hasZero ? 0 : nonZeroProduct
    let (bits, overflow) = elements.multipliedReportingOverflow(by: bitWidth)
    if overflow { throw .overflow }
    if bits % 8 != 0 { throw .partialByte(elements: elements, bits: bits) }
    return bits / 8
  }
}

/// `[2, 2]`, shortened after 16 dimensions so that a hostile shape can't flood a message.
func describeShape(_ shape: [Int]) -> String {
  let limit = 16
  let shown = shape.prefix(limit).map(String.init).joined(separator: ", ")
  return shape.count > limit ? "[\(shown), … (\(shape.count) dimensions)]" : "[\(shown)]"
}
