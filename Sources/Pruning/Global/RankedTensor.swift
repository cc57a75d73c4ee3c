/// One tensor of a global ranking, read where it lies — a memory-mapped checkpoint, say —
/// a block at a time, so that the ranking never holds more than one block of keys per
/// thread and never a concatenation of the tensors' scores.
///
/// The view must stay valid, and unchanged, from `Pruner.globalCut(_:)` until every tensor
/// has been pruned with the cut.
public struct RankedTensor: @unchecked Sendable {
  /// The tensor's name (unique within a ranking).
  public let name: String
  /// The tensor's shape.
  public let shape: [Int]
  /// What the metric needs besides the weights, or nil.
  public let input: ScoreInput?
  /// The number of elements.
  let count: Int
  /// Where the weights are.
  let storage: Storage
  /// The element type.
  let scalar: any PrunableScalar.Type
  /// Called after a pass of the ranking has read the whole tensor.
  let release: () -> Void

  /// Where a ranked tensor's weights are.
  enum Storage {
    /// The caller's view: little-endian elements, with no alignment required.
    case bytes(UnsafeRawBufferPointer)
    /// The values of a `WeightTensor`, shared (not copied) for the ranking.
    case floats([Float])
  }

  /// A tensor of `Scalar` elements (`Float`, `Float16` or `BFloat16`: other types are
  /// ranked too, unspecialised and so much more slowly) stored in `bytes`.
  ///
  /// - Parameters:
  ///   - release: called after each pass of the ranking over this tensor, to let go of its
  ///     pages (`SafeTensorsFile.release(_:)`); by default nothing.
  /// - Throws: `PruningError.shapeMismatch` when the bytes do not hold the shape's elements.
  public init<Scalar: PrunableScalar>(
    name: String, shape: [Int], bytes: UnsafeRawBufferPointer, as _: Scalar.Type,
    input: ScoreInput? = nil, release: @escaping () -> Void = {}
  ) throws(PruningError) {
    guard let count = WeightTensor.elementCount(of: shape),
      count.multipliedReportingOverflow(by: MemoryLayout<Scalar>.stride)
        == (bytes.count, false)
    else {
      throw .shapeMismatch(
        name: name, shape: shape, valueCount: bytes.count / MemoryLayout<Scalar>.stride)
    }
    self.name = name
    self.shape = shape
    self.count = count
    self.input = input
    self.storage = .bytes(bytes)
    self.scalar = Scalar.self
    self.release = release
  }

  /// A model's tensor, its values shared for the ranking: they must not change until the
  /// ranking is done.
  init(_ tensor: WeightTensor, input: ScoreInput?) {
    self.name = tensor.name
    self.shape = tensor.shape
    self.count = tensor.count
    self.input = input
    self.storage = .floats(tensor.values)
    self.scalar = Float.self
    self.release = {}
  }

  /// Rows and columns of the tensor seen as a matrix (a non-matrix is one row).
  var matrixShape: (rows: Int, columns: Int) {
    shape.count == 2 ? (shape[0], shape[1]) : (1, count)
  }

  /// The keys of the tensor's elements, built for its concrete scalar type (see
  /// `RankedKeys.fillKeys` for how reading them runs specialised).
  func keys(scoring: ElementScoring, zerosFirst: Bool) -> any KeySource {
    func keys<Scalar: PrunableScalar>(_ bytes: UnsafeRawBufferPointer, _: Scalar.Type)
      -> RankedKeys<Scalar>
    {
      RankedKeys(bytes: bytes, count: count, scoring: scoring, zerosFirst: zerosFirst)
    }
    // Known types are named here so that their keys are built, and read, specialised.
    switch storage {
    case .floats(let values):
      return FloatArrayKeys(values: values, scoring: scoring, zerosFirst: zerosFirst)
    case .bytes(let bytes):
      if scalar == Float.self { return keys(bytes, Float.self) }
      if scalar == Float16.self { return keys(bytes, Float16.self) }
      if scalar == BFloat16.self { return keys(bytes, BFloat16.self) }
      return scalar.rankedKeys(bytes, count: count, scoring: scoring, zerosFirst: zerosFirst)
    }
  }
}

extension PrunableScalar {
  /// The keys of `count` elements of this type in `bytes`, built generically.
  fileprivate static func rankedKeys(
    _ bytes: UnsafeRawBufferPointer, count: Int, scoring: ElementScoring, zerosFirst: Bool
  ) -> any KeySource {
    RankedKeys<Self>(bytes: bytes, count: count, scoring: scoring, zerosFirst: zerosFirst)
  }
}

/// The keys of a `WeightTensor`'s values, read where they lie.
struct FloatArrayKeys: KeySource {
  let values: [Float]
  let scoring: ElementScoring
  let zerosFirst: Bool

  var count: Int { values.count }

  func fillKeys(_ range: Range<Int>, into keys: UnsafeMutableBufferPointer<UInt32>) {
    values.withUnsafeBufferPointer { values in
      ElementScoreKeys.keys(
        of: UnsafeBufferPointer(rebasing: values[range]), at: range, scoring: scoring,
        zerosFirst: zerosFirst, into: keys)
    }
  }
}

/// The keys of a `RankedTensor`'s elements: each block copied to aligned scratch, then
/// scored.
struct RankedKeys<Scalar: PrunableScalar>: KeySource {
  let bytes: UnsafeRawBufferPointer
  let count: Int
  let scoring: ElementScoring
  let zerosFirst: Bool

  /// Called through `any KeySource`, which runs a generic type's methods unspecialised
  /// (every weight read through the protocol's witnesses, 4× slower): the block goes on to
  /// `KeyFill`, run specialised for the known types.
  func fillKeys(_ range: Range<Int>, into keys: UnsafeMutableBufferPointer<UInt32>) {
    let stride = MemoryLayout<Scalar>.stride
    withUnsafeTemporaryAllocation(of: Scalar.self, capacity: range.count) { scratch in
      UnsafeMutableRawBufferPointer(scratch).copyMemory(
        from: UnsafeRawBufferPointer(
          rebasing: bytes[range.lowerBound * stride ..< range.upperBound * stride]))
      KeyFill(range: range, keys: keys, scoring: scoring, zerosFirst: zerosFirst)
        .runSpecialized(scratch)
    }
  }
}

/// Writes the keys of a block of weights (elements `range` of their tensor).
private struct KeyFill: ScalarOperation {
  let range: Range<Int>
  let keys: UnsafeMutableBufferPointer<UInt32>
  let scoring: ElementScoring
  let zerosFirst: Bool

  func run<Scalar: PrunableScalar>(_ values: UnsafeMutableBufferPointer<Scalar>) {
    ElementScoreKeys.keys(
      of: UnsafeBufferPointer(values), at: range, scoring: scoring, zerosFirst: zerosFirst,
      into: keys)
  }
}

/// The keys of several tensors ranked as one: unit `segmentStart[s] + i` is element `i` of
/// tensor `s`.
struct SegmentedKeys: KeySource {
  let segments: [any KeySource]
  let releases: [() -> Void]
  /// The first unit of every segment, then the total.
  let starts: [Int]

  init(segments: [any KeySource], releases: [() -> Void]) {
    self.segments = segments
    self.releases = releases
    self.starts = segments.reduce(into: [0]) { $0.append($0[$0.count - 1] + $1.count) }
  }

  var count: Int { starts[starts.count - 1] }

  var segmentCounts: [Int] { segments.map(\.count) }

  func fillKeys(_ range: Range<Int>, into keys: UnsafeMutableBufferPointer<UInt32>) {
    var unit = range.lowerBound
    // The last segment starting at or before `unit`, and the ones after it.
    var segment = starts.partitioningIndex { $0 > unit } - 1
    while unit < range.upperBound {
      let end = min(range.upperBound, starts[segment + 1])
      if end > unit {
        let slots = unit - range.lowerBound ..< end - range.lowerBound
        segments[segment].fillKeys(
          unit - starts[segment] ..< end - starts[segment],
          into: UnsafeMutableBufferPointer(rebasing: keys[slots]))
      }
      unit = end
      segment += 1
    }
  }

  func finished(segment: Int) { releases[segment]() }
}

extension Array where Element == Int {
  /// The first index whose element satisfies `belongsInSecondPartition` (elements sorted
  /// so that it is false, then true).
  fileprivate func partitioningIndex(where belongsInSecondPartition: (Int) -> Bool) -> Int {
    var (low, high) = (0, count)
    while low < high {
      let middle = (low + high) / 2
      if belongsInSecondPartition(self[middle]) { high = middle } else { low = middle + 1 }
    }
    return low
  }
}
