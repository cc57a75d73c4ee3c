import CPruningKernels
import Testing
import TestSupport

@testable import bonsai

/// The counting copy (Sources/CPruningKernels/CountingCopy.c): the dispatched kernels (AVX2 on this machine)
/// and the portable ones against a reference written element by element, for every
/// combination of destination, mask and recorded bits, lengths around whole words, and
/// sources at odd addresses.
@Suite struct CountingCopyTests {
  /// What the kernel should do, one element at a time: the written bytes (nil without a
  /// destination), the bits of written nonzeros, and the two counts.
  func reference(
    _ elements: [UInt32], width: Int, kept: [UInt64]?
  ) -> (written: [UInt32], bits: [UInt64], source: Int, nonzero: Int) {
    let magnitude: UInt32 = width == 4 ? 0x7FFF_FFFF : 0x7FFF
    var bits = [UInt64](repeating: 0, count: (elements.count + 63) / 64)
    var written = [UInt32]()
    var (source, nonzero) = (0, 0)
    for (index, element) in elements.enumerated() {
      let keep = kept.map { $0[index / 64] >> UInt64(index % 64) & 1 == 1 } ?? true
      let value = keep ? element : 0
      written.append(value)
      source += element & magnitude != 0 ? 1 : 0
      if value & magnitude != 0 {
        nonzero += 1
        bits[index / 64] |= 1 << UInt64(index % 64)
      }
    }
    return (written, bits, source, nonzero)
  }

  /// Elements of `width` bytes drawn so that about a third are +0 or −0.
  func elements(_ count: Int, width: Int, random: inout SeededGenerator) -> [UInt32] {
    let sign: UInt32 = width == 4 ? 0x8000_0000 : 0x8000
    let all: UInt32 = width == 4 ? .max : 0xFFFF
    return (0 ..< count).map { _ in
      switch random.next() % 6 {
      case 0: 0
      case 1: sign
      default: UInt32(truncatingIfNeeded: random.next()) & all
      }
    }
  }

  typealias Kernel = (
    Int, UnsafeRawPointer?, UnsafeMutableRawPointer?, Int, UnsafePointer<UInt64>?,
    UnsafeMutablePointer<UInt64>?, UnsafeMutablePointer<UInt64>?
  ) -> Void

  @Test(arguments: [4, 2], [0, 1, 63, 64, 65, 130, 1000, 4099])
  func kernelsMatchTheReference(width: Int, count: Int) {
    var random = SeededGenerator(seed: UInt64(width * 10_000 + count))
    let values = elements(count, width: width, random: &random)
    let words = (count + 63) / 64
    let mask = (0 ..< words).map { _ in random.next() }
    let kernels: [(String, Kernel)] = [
      ("dispatched", bonsai_counting_copy), ("portable", bonsai_counting_copy_portable),
    ]
    for (name, kernel) in kernels {
      for (copying, masking, recording) in [
        (true, true, true), (true, true, false), (true, false, true), (true, false, false),
        (false, true, true), (false, false, false),
      ] {
        let expected = reference(values, width: width, kept: masking ? mask : nil)
        // The source starts one byte into its buffer: the kernels take any alignment.
        var source = [UInt8](repeating: 0xAB, count: count * width + 1)
        for (index, value) in values.enumerated() {
          for byte in 0 ..< width { source[1 + index * width + byte] = UInt8(truncatingIfNeeded: value >> (8 * byte)) }
        }
        var destination = [UInt8](repeating: 0xCD, count: count * width + 1)
        var bits = [UInt64](repeating: .max, count: max(words, 1))
        var counts: [UInt64] = [5, 7]
        source.withUnsafeBytes { source in
          destination.withUnsafeMutableBytes { destination in
            mask.withUnsafeBufferPointer { mask in
              bits.withUnsafeMutableBufferPointer { bits in
                counts.withUnsafeMutableBufferPointer { counts in
                  kernel(
                    width, source.baseAddress.map { $0 + 1 }, copying ? destination.baseAddress.map { $0 + 1 } : nil,
                    count, masking ? mask.baseAddress : nil, recording ? bits.baseAddress : nil,
                    counts.baseAddress)
                }
              }
            }
          }
        }
        let label = "\(name) copying \(copying) masking \(masking) recording \(recording)"
        #expect(counts == [5 + UInt64(expected.source), 7 + UInt64(expected.nonzero)], "\(label)")
        if copying {
          let written = (0 ..< count).map { index in
            (0 ..< width).reduce(UInt32(0)) { $0 | UInt32(destination[1 + index * width + $1]) << (8 * $1) }
          }
          #expect(written == expected.written, "\(label)")
          #expect(destination[0] == 0xCD, "\(label): wrote before the destination")
        } else {
          #expect(destination.allSatisfy { $0 == 0xCD }, "\(label): wrote without a destination")
        }
        if recording {
          #expect(Array(bits.prefix(words)) == expected.bits, "\(label)")
        } else {
          #expect(bits.allSatisfy { $0 == .max }, "\(label): recorded without bits")
        }
      }
    }
  }

  @Test func swiftFaceCountsAndCopies() {
    let values: [Float] = [1, 0, -0.0, -2, 0, 3, 0.5]
    var written = [Float](repeating: 9, count: values.count)
    let kept: [UInt64] = [0b101_1011]  // prunes elements 2 and 5
    var bits = [UInt64](repeating: 0, count: 1)
    let counts = values.withUnsafeBytes { source in
      written.withUnsafeMutableBytes { destination in
        kept.withUnsafeBufferPointer { kept in
          bits.withUnsafeMutableBufferPointer { bits in
            CountingCopy.copy(source, elementSize: 4, to: destination, keeping: kept, writtenNonzero: bits)
          }
        }
      }
    }
    #expect(counts == CountingCopy.Counts(source: 4, written: 3))
    #expect(written.map(\.bitPattern) == [1, 0, 0, -2, 0, 0, 0.5].map { ($0 as Float).bitPattern })
    #expect(bits == [0b100_1001])
  }
}

/// `NonzeroBits.satisfies` against a brute-force count of every group.
@Suite struct NonzeroBitsTests {
  /// Whether every group of `group` bits holds at most `keep` set bits, one bit at a time.
  func bruteForce(_ bits: NonzeroBits, keep: Int, of group: Int) -> Bool {
    stride(from: 0, to: bits.count, by: group).allSatisfy { start in
      (start ..< start + group).filter { bits.words[$0 / 64] >> UInt64($0 % 64) & 1 == 1 }.count <= keep
    }
  }

  @Test(arguments: [2, 3, 4, 5, 8, 12, 16, 32, 64, 96])
  func agreesWithBruteForce(group: Int) {
    var random = SeededGenerator(seed: UInt64(group))
    for keep in 1 ..< min(group, 6) {
      for groups in [1, 7, 40] {
        let count = groups * group
        // Every group keeps at most `keep`, then one group (first, middle or last) one more.
        for broken in [nil, 0, groups / 2, groups - 1] as [Int?] {
          var bits = NonzeroBits(count: count)
          for start in stride(from: 0, to: count, by: group) {
            let set = start / group == broken ? keep + 1 : Int(random.next() % UInt64(keep + 1))
            for index in (start ..< start + group).shuffled(using: &random).prefix(set) {
              bits.words[index / 64] |= 1 << UInt64(index % 64)
            }
          }
          let expected = bruteForce(bits, keep: keep, of: group)
          #expect(expected == (broken == nil))
          #expect(bits.satisfies(keep: keep, of: group) == expected, "\(keep):\(group) × \(groups) broken \(String(describing: broken))")
        }
      }
    }
  }
}
