// The C kernels: the dispatched versions (AVX2 on machines that have it) against the
// portable ones and against plain Swift, on random keys with many ties and on every length
// around the vector width.

import CPruningKernels
import Testing
import TestSupport

@Suite struct KernelTests {
  /// Keys drawn from a few values around `center`, so that every comparison is exercised.
  func keys(_ count: Int, seed: UInt64) -> [UInt32] {
    var generator = SeededGenerator(seed: seed)
    let values: [UInt32] = [
      0x8000_0000, 0xBF00_0000, 0xBF00_0001, 0xBF00_0002, 0xBF00_0003, 0xFF80_0000, 0xFFC0_0000,
    ]
    return (0 ..< count).map { _ in values[Int.random(in: 0 ..< values.count, using: &generator)] }
  }

  @Test(arguments: [0, 1, 7, 8, 9, 63, 64, 65, 1000, 1024])
  func tallyMatchesPortableAndSwift(count: Int) {
    let input = keys(count, seed: UInt64(count))
    let (lo, hi, flag): (UInt32, UInt32, UInt32) = (0xBF00_0000, 0xBF00_0003, 0xFF80_0000)
    var fast = [UInt64](repeating: 0, count: 4)
    var portable = [UInt64](repeating: 0, count: 4)
    var fastInside = [UInt32](repeating: 0, count: count + 8)
    var portableInside = [UInt32](repeating: 0, count: count + 8)
    let fastCount = bonsai_tally_keys(input, count, lo, hi, flag, &fast, &fastInside)
    let portableCount = bonsai_tally_keys_portable(
      input, count, lo, hi, flag, &portable, &portableInside)
    let expectedInside = input.filter { $0 > lo && $0 < hi }
    #expect(fast == portable)
    let below = UInt64(input.filter { $0 < lo }.count)
    let equalLo = UInt64(input.filter { $0 == lo }.count)
    let equalHi = UInt64(input.filter { $0 == hi }.count)
    let flagged = UInt64(input.filter { $0 >= flag }.count)
    let expected: [UInt64] = [below, equalLo, equalHi, flagged]
    #expect(fast == expected)
    #expect(Array(fastInside[0 ..< fastCount]) == expectedInside)
    #expect(Array(portableInside[0 ..< portableCount]) == expectedInside)
  }

  @Test(arguments: [64, 128, 1024])
  func compareMatchesPortableAndSwift(count: Int) {
    let input = keys(count, seed: 99 + UInt64(count))
    let threshold: UInt32 = 0xBF00_0001
    var below = [UInt64](repeating: 0, count: count / 64)
    var equal = below
    var portableBelow = below
    var portableEqual = below
    bonsai_compare_keys(input, count, threshold, &below, &equal)
    bonsai_compare_keys_portable(input, count, threshold, &portableBelow, &portableEqual)
    #expect(below == portableBelow && equal == portableEqual)
    for (index, key) in input.enumerated() {
      #expect((below[index / 64] >> UInt64(index % 64)) & 1 == (key < threshold ? 1 : 0))
      #expect((equal[index / 64] >> UInt64(index % 64)) & 1 == (key == threshold ? 1 : 0))
    }
  }

  @Test(arguments: [1, 63, 64, 65, 200, 1024])
  func zeroingMatchesPortableAndSwift(count: Int) {
    var generator = SeededGenerator(seed: UInt64(count) * 7)
    // Random words, and every third one pruned whole or kept whole, as rows and blocks are.
    let words = (0 ..< (count + 63) / 64).map { index -> UInt64 in
      index % 3 == 1 ? 0 : index % 3 == 2 ? .max : UInt64.random(in: 0 ... .max, using: &generator)
    }
    let values = (0 ..< count).map { _ in UInt32.random(in: 1 ... .max, using: &generator) }
    var portable = values
    var half = values.map { UInt16(truncatingIfNeeded: $0) | 1 }
    bonsai_zero_pruned_32_portable(&portable, count, words)
    bonsai_zero_pruned_16(&half, count, words)
    for index in 0 ..< count {
      let kept = (words[index / 64] >> UInt64(index % 64)) & 1 == 1
      #expect(portable[index] == (kept ? values[index] : 0))
      #expect(half[index] == (kept ? UInt16(truncatingIfNeeded: values[index]) | 1 : 0))
    }
    // The dispatched kernel, through the caches and past them, on a 32-byte aligned buffer
    // and on one 4 bytes off it (a pruned word's ends then lie off the 32-byte lines).
    let storage = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: count + 8)
    defer { storage.deallocate() }
    let aligned = (8 - Int(bitPattern: storage.baseAddress) % 32 / 4) % 8
    for offset in [aligned, (aligned + 1) % 8] {
      for bypassing: Int32 in [0, 1] {
        let fast = UnsafeMutableBufferPointer(rebasing: storage[offset ..< offset + count])
        _ = fast.update(fromContentsOf: values)
        bonsai_zero_pruned_32(fast.baseAddress, count, words, bypassing)
        #expect(Array(fast) == portable, "offset \(offset), bypassing the cache \(bypassing)")
      }
    }
  }

  /// The vector sum of |x| gives the portable version's bits (the same sixteen lanes) and
  /// agrees with a plain Double sum to its rounding; on integers, where every order is
  /// exact, it equals it.
  @Test(arguments: [1, 15, 16, 17, 33, 4096, 11008 + 7])
  func absoluteSumsMatchPortableAndDouble(count: Int) {
    var generator = SeededGenerator(seed: UInt64(count) * 31 + 5)
    var values = generator.floats(count, in: -3 ... 3)
    if count > 2 {
      values[0] = -0.0
      values[1] = 1e30
      values[2] = -1e-30
    }
    let fast = values.withUnsafeBufferPointer { bonsai_absolute_sum_f32($0.baseAddress!, count) }
    let portable = values.withUnsafeBufferPointer {
      bonsai_absolute_sum_f32_portable($0.baseAddress!, count)
    }
    let sequential = values.reduce(0.0) { $0 + abs(Double($1)) }
    #expect(fast.bitPattern == portable.bitPattern)
    #expect(abs(fast - sequential) <= 1e-12 * sequential)
    let integers = (0 ..< count).map { Float(Int($0 * 7919 % 2001) - 1000) }
    let integerSum = integers.withUnsafeBufferPointer {
      bonsai_absolute_sum_f32($0.baseAddress!, count)
    }
    #expect(integerSum == integers.reduce(0.0) { $0 + abs(Double($1)) })
  }

  /// A NaN of either sign, in the vector part or the tail, gives the same bits both ways
  /// (the sign of |x| is cleared, a NaN's included).
  @Test(arguments: [3, 20])
  func sumsOfNaNsMatchPortable(index: Int) {
    var values = [Float](repeating: 1.5, count: 24)
    values[index] = -Float.nan
    let fast = values.withUnsafeBufferPointer { bonsai_absolute_sum_f32($0.baseAddress!, 24) }
    let portable = values.withUnsafeBufferPointer { bonsai_absolute_sum_f32_portable($0.baseAddress!, 24) }
    #expect(fast.isNaN && fast.bitPattern == portable.bitPattern)
    var fastColumns = [Double](repeating: 0, count: 8)
    var portableColumns = fastColumns
    bonsai_add_column_sums_f32(values, 3, 8, 1, &fastColumns)
    bonsai_add_column_sums_f32_portable(values, 3, 8, 1, &portableColumns)
    #expect(fastColumns.map(\.bitPattern) == portableColumns.map(\.bitPattern))
    #expect(fastColumns.filter(\.isNaN).count == 1)
  }

  @Test(arguments: [(1, 1), (3, 5), (4, 4), (5, 7), (9, 64), (7, 1001)])
  func columnSumsMatchPortableAndDouble(rows: Int, columns: Int) {
    var generator = SeededGenerator(seed: UInt64(rows * columns) * 13)
    var values = generator.floats(rows * columns, in: -3 ... 3)
    values[0] = -0.0
    if values.count > 2 { values[2] = 1e30 }
    for absolute in [0, 1] as [Int32] {
      let start = generator.floats(columns, in: 0 ... 1).map(Double.init)
      var fast = start
      var portable = start
      bonsai_add_column_sums_f32(values, rows, columns, absolute, &fast)
      bonsai_add_column_sums_f32_portable(values, rows, columns, absolute, &portable)
      let expected = (0 ..< columns).map { column in
        (0 ..< rows).reduce(start[column]) { sum, row in
          let value = Double(values[row * columns + column])
          return sum + (absolute == 1 ? abs(value) : value * value)
        }
      }
      #expect(fast == expected && portable == expected, "absolute \(absolute)")
    }
  }
}
