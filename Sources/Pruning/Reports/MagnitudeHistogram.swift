// A histogram of |w| for pictures of what pruning did: weights span many orders of magnitude
// and magnitude pruning cuts them at a threshold, so the bins are logarithmic — four per
// doubling — and come straight from the bits of |w| widened to Float (exponent and the top
// two bits of the mantissa), without a first pass to find the range.

/// A histogram of |w| on a logarithmic scale, with ±0 and non-finite elements counted apart.
///
/// Bin `b` holds the |w| in `[lowerBound(ofBin: b), lowerBound(ofBin: b + 1))`: its edges are
/// the Floats whose bits are `b << 21`, four bins per octave (edges 1, 1.25, 1.5, 1.75, 2, …).
public struct MagnitudeHistogram: Sendable, Hashable {
  /// Bins per doubling of |w|.
  public static let binsPerOctave = 4

  /// The number of elements that are ±0, which no bin holds.
  public let zeros: Int
  /// The number of NaN and ±Inf elements, which no bin holds.
  public let nonFinite: Int
  /// The index of the first bin of `counts`: the bin of the smallest nonzero |w|.
  public let firstBin: Int
  /// The counts of bins `firstBin ..< firstBin + counts.count`, from the smallest nonzero
  /// |w| to the largest finite one; empty when there are none.
  public let counts: [Int]

  /// The number of elements counted: zeros, bins and non-finite ones.
  public var count: Int { zeros + nonFinite + counts.reduce(0, +) }

  /// The smallest |w| of bin `bin`, in 0 ... 1020 (1020: +Inf, the upper edge of the last).
  public static func lowerBound(ofBin bin: Int) -> Float {
    precondition((0 ... Tally.finiteBins).contains(bin), "bin \(bin) out of range")
    return Float(bitPattern: UInt32(bin) << Tally.shift)
  }

  /// The histogram of |w| over `weights`, in one pass.
  ///
  /// - Complexity: O(n) time; 8 KB of memory.
  public init<Scalar: PrunableScalar>(magnitudesOf weights: Span<Scalar>) {
    // The operation only reads the buffer.
    self = weights.withUnsafeBufferPointer { Histogramming().runSpecialized(.init(mutating: $0)) }
  }

  /// A histogram from its parts.
  init(zeros: Int, nonFinite: Int, firstBin: Int, counts: [Int]) {
    self.zeros = zeros
    self.nonFinite = nonFinite
    self.firstBin = firstBin
    self.counts = counts
  }

  /// The histogram as an operation that runs specialised for each scalar type.
  private struct Histogramming: ScalarOperation {
    func run<Scalar: PrunableScalar>(_ values: UnsafeMutableBufferPointer<Scalar>)
      -> MagnitudeHistogram
    {
      var tally = Tally()
      let zeros = tally.counting { bins in
        values.reduce(0) { zeros, value in
          let bits = value.widened.bitPattern & Tally.magnitude
          bins.add(magnitudeBits: bits)
          return zeros &+ (bits == 0 ? 1 : 0)
        }
      }
      return tally.histogram(zeros: zeros)
    }
  }

  /// Counts of |w| by bin, accumulated one element at a time.
  struct Tally {
    /// The bits of a Float below a bin's: 23 mantissa bits less the two that split octaves.
    static let shift: UInt32 = 21
    /// The mask that clears a Float's sign bit.
    static let magnitude: UInt32 = 0x7FFF_FFFF
    /// The number of bins below +Inf's: every bin from 1020 up holds NaN or ±Inf.
    static let finiteBins = Int(Float.infinity.bitPattern >> shift)

    /// One count per bin of any |w| bit pattern, the non-finite ones (and ±0, in bin 0)
    /// included.
    private var bins = [Int](repeating: 0, count: Int(magnitude >> shift) + 1)

    /// The bins while `body` adds to them, without a bounds check per element.
    mutating func counting<Result>(_ body: (Bins) -> Result) -> Result {
      bins.withUnsafeMutableBufferPointer { body(Bins(counts: $0)) }
    }

    /// The histogram of the elements counted, `zeros` of which were ±0.
    func histogram(zeros: Int) -> MagnitudeHistogram {
      var finite = Array(bins[..<Self.finiteBins])
      finite[0] -= zeros
      let nonFinite = bins[Self.finiteBins...].reduce(0, +)
      guard let first = finite.firstIndex(where: { $0 > 0 }),
        let last = finite.lastIndex(where: { $0 > 0 })
      else {
        return MagnitudeHistogram(zeros: zeros, nonFinite: nonFinite, firstBin: 0, counts: [])
      }
      return MagnitudeHistogram(
        zeros: zeros, nonFinite: nonFinite, firstBin: first, counts: Array(finite[first ... last]))
    }

    /// The bins, borrowed for the length of `counting(_:)`.
    struct Bins {
      /// One count per bin of any |w| bit pattern.
      let counts: UnsafeMutableBufferPointer<Int>

      /// Counts one element given the bits of its |w| widened to Float.
      @inline(__always)
      func add(magnitudeBits bits: UInt32) {
        counts[Int(bits >> Tally.shift)] &+= 1
      }
    }
  }
}
