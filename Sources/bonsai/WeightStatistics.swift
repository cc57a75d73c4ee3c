import Pruning
import SafeTensors

/// The statistics of |w| of a floating-point tensor Bonsai prunes, read where it lies.
enum WeightStatistics {
  /// For F32, F16 and BF16: the count of NaN and ±Inf elements, and the statistics of |w|
  /// when there are elements and none is non-finite. Nil and nil for other dtypes.
  static func of(_ bytes: UnsafeRawBufferPointer, dtype: DType) -> (Int?, ScoreStatistics?) {
    guard let scalar = dtype.prunableScalar else { return (nil, nil) }
    return of(bytes, as: scalar)
  }

  private static func of<Scalar: PrunableScalar>(_ bytes: UnsafeRawBufferPointer, as: Scalar.Type)
    -> (Int?, ScoreStatistics?)
  {
    withAlignedElements(bytes, as: Scalar.self) { values in
      let nonFinite = values.nonFiniteCount
      let statistics = nonFinite == 0 && values.count > 0 ? ScoreStatistics(magnitudesOf: values) : nil
      return (nonFinite, statistics)
    }
  }
}
