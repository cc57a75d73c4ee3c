/// Keys of per-element magnitude scores, computed from the weights as they are read:
/// |w| for L1, w² (rounded to `Float`, as the score is) for L2 and the Taylor proxy.
struct MagnitudeKeys<Scalar: PrunableScalar>: KeySource {
  let values: UnsafeBufferPointer<Scalar>
  let squared: Bool

  var count: Int { values.count }

  func fillKeys(_ range: Range<Int>, into keys: UnsafeMutableBufferPointer<UInt32>) {
    let offset = range.lowerBound
    if squared {
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

/// Keys of the per-element random scores of `RandomScores`, jumping the generator ahead to
/// the start of each block so that blocks can be computed in any order.
struct RandomElementKeys: KeySource {
  let seed: UInt64
  let count: Int

  func fillKeys(_ range: Range<Int>, into keys: UnsafeMutableBufferPointer<UInt32>) {
    var state = RandomScores.state(seed, advancedBy: range.lowerBound)
    for slot in 0 ..< range.count {
      state = RandomScores.step(state)
      keys[slot] = ScoreKey.key(RandomScores.score(state))
    }
  }
}
