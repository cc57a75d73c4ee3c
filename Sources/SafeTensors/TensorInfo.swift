/// One tensor of a safetensors file, as validated by ``SafeTensorsFile``: its name, element
/// type, shape, and where its bytes lie in the data region.
///
/// Values are only created by the reader, after validation, so `elementCount` and
/// `byteCount` always agree with `dtype`, `shape` and `dataOffsets`.
public struct TensorInfo: Sendable, Hashable {
  /// The tensor's name, the key of its entry in the header.
  public let name: String
  /// The element type.
  public let dtype: DType
  /// The dimensions, outermost first; `[]` for a scalar.
  public let shape: [Int]
  /// The tensor's bytes, relative to the start of the data region (the byte after the
  /// header), as stored in the header's `"data_offsets"` field.
  public let dataOffsets: Range<Int>

  init(name: String, dtype: DType, shape: [Int], dataOffsets: Range<Int>) {
    self.name = name
    self.dtype = dtype
    self.shape = shape
    self.dataOffsets = dataOffsets
  }

  /// The number of elements: the product of `shape`, 1 for a scalar, 0 when a dimension is 0.
  public var elementCount: Int {
    // Cannot overflow: the reader rejects shapes whose non-zero dimensions overflow, and
    // every prefix product is either one of those partial products or 0.
    shape.reduce(1, *)
  }

  /// The number of bytes the tensor occupies: elementCount × dtype.bitWidth / 8.
  public var byteCount: Int {
    dataOffsets.count
  }
}
