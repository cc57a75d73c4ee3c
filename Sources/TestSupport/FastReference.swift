// Test inputs and reference sorts that stay fast in debug builds, where `swift test` runs:
// the generic `Float.random(in:using:)` and `Array.sort` run unspecialised there (about
// 1 µs and 2.5 µs per element), which would make the large cases dominate the suite.
// C's `qsort` is compiled code; only its comparator runs unoptimised.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension SeededGenerator {
  /// `count` floats uniform in `range` (24 random bits each), fast in debug builds.
  public mutating func uniformFloats(_ count: Int, in range: ClosedRange<Float> = -1 ... 1)
    -> [Float]
  {
    let low = range.lowerBound
    let width = range.upperBound - range.lowerBound
    var values = [Float](repeating: 0, count: count)
    values.withUnsafeMutableBufferPointer { values in
      for index in 0 ..< values.count {
        values[index] = low + Float(next() >> 40) * 0x1p-24 * width
      }
    }
    return values
  }
}

/// A (score, index) pair, as the tie rule orders them.
private struct ScoredIndex {
  var score: Float
  var index: Int32
}

extension ReferencePruning {
  /// The scores in ascending order (−0 and +0 equal), sorted by C's `qsort`.
  public static func sortedScores(_ scores: [Float]) -> [Float] {
    var sorted = scores
    guard scores.count > 1 else { return sorted }
    sorted.withUnsafeMutableBytes { bytes in
      qsort(bytes.baseAddress!, scores.count, MemoryLayout<Float>.stride) { a, b in
        let x = a!.load(as: Float.self)
        let y = b!.load(as: Float.self)
        return x < y ? -1 : (x > y ? 1 : 0)
      }
    }
    return sorted
  }

  /// The unit indices in the order the rule prunes them: by score, then by index. A full
  /// sort of (score, index) pairs, by C's `qsort`.
  public static func pruningOrder(_ scores: [Float]) -> [Int] {
    precondition(scores.count <= Int(Int32.max))
    var pairs = scores.enumerated().map { ScoredIndex(score: $1, index: Int32($0)) }
    guard scores.count > 1 else { return pairs.map { Int($0.index) } }
    pairs.withUnsafeMutableBytes { bytes in
      qsort(bytes.baseAddress!, scores.count, MemoryLayout<ScoredIndex>.stride) { a, b in
        let x = a!.load(as: ScoredIndex.self)
        let y = b!.load(as: ScoredIndex.self)
        if x.score != y.score { return x.score < y.score ? -1 : 1 }
        return x.index < y.index ? -1 : (x.index > y.index ? 1 : 0)
      }
    }
    return pairs.map { Int($0.index) }
  }
}
