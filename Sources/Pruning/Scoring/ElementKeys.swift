/// Sixteen selection keys, or the bits of sixteen `Float` weights.
typealias KeyLanes = SIMD16<UInt32>

/// Keys of per-element magnitude scores, computed from the weights as they are read:
/// |w| for L1, w² (rounded to `Float`, as the score is) for L2 and the Taylor proxy.
struct MagnitudeKeys<Scalar: PrunableScalar>: KeySource {
  let values: UnsafeBufferPointer<Scalar>
  let squared: Bool

  var count: Int { values.count }

  func fillKeys(_ range: Range<Int>, into keys: UnsafeMutableBufferPointer<UInt32>) {
    let offset = range.lowerBound
    if Scalar.self == Float.self {
      // Float keys straight from the bits, sixteen lanes at a time.
      let source = UnsafeRawPointer(values.baseAddress.unsafelyUnwrapped + offset)
      let target = UnsafeMutableRawPointer(keys.baseAddress.unsafelyUnwrapped)
      let vectorEnd = range.count & ~15
      for index in stride(from: 0, to: vectorEnd, by: 16) {
        let bits: KeyLanes
        if squared {
          let weights = source.loadUnaligned(fromByteOffset: index * 4, as: SIMD16<Float>.self)
          bits = unsafeBitCast(weights * weights, to: KeyLanes.self)
        } else {
          bits = source.loadUnaligned(fromByteOffset: index * 4, as: KeyLanes.self)
        }
        target.storeBytes(
          of: bits & 0x7FFF_FFFF | 0x8000_0000, toByteOffset: index * 4, as: KeyLanes.self)
      }
      for slot in vectorEnd ..< range.count {
        let weight = values[offset + slot].widened
        let bits = squared ? (weight * weight).bitPattern : weight.bitPattern
        keys[slot] = ScoreKey.magnitudeKey(bits: bits)
      }
    } else if squared {
      for slot in 0 ..< range.count {
        let weight = values[offset + slot].widened
        keys[slot] = (weight * weight).bitPattern | 0x8000_0000
      }
    } else {
      for slot in 0 ..< range.count {
        keys[slot] = ScoreKey.magnitudeKey(bits: values[offset + slot].widened.bitPattern)
      }
    }
  }
}
