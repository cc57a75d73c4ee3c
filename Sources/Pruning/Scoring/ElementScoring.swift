// Per-element scores, computed from the weights (and the metric's input) as each pass reads
// them, a block at a time: no score array is materialised. A switch per block picks the
// metric; the loop inside it runs specialised for the weights' scalar type.

/// How the score of one element is computed, with what it needs besides the weight.
///
/// The inputs are held as arrays (shared, not copied), so that many scorings — one per
/// tensor of a global ranking — can live side by side without nesting scoped accesses.
struct ElementScoring {
  /// The formula.
  enum Kind {
    /// |w|, or w² (rounded to `Float`) when `squared`.
    case magnitude(squared: Bool)
    /// The LCG scores of `RandomScores`, element `i` taking step `firstStep + i + 1`: a
    /// tensor of a global ranking continues the stream where the previous tensor ended.
    case random(seed: UInt64, firstStep: Int)
    /// |w_ij| · norms[j], a `Float` product (Wanda).
    case wanda(norms: [Float], columns: Int)
    /// |w · g|, a `Float` product (first-order Taylor).
    case taylor(gradients: [Float])
    /// The caller's scores as they are.
    case supplied([Float])
  }

  let kind: Kind

  /// The scoring of `metric` for a tensor whose inputs were validated, `firstStep` being
  /// where the random stream starts.
  init(_ metric: ImportanceMetric, input: ScoreInput?, columns: Int, firstStep: Int = 0) {
    let values = input?.values ?? []
    switch metric {
    case .l1Magnitude: kind = .magnitude(squared: false)
    case .l2Magnitude, .taylorProxy: kind = .magnitude(squared: true)
    case .random(let seed): kind = .random(seed: seed, firstStep: firstStep)
    case .taylor: kind = .taylor(gradients: values)
    case .wanda: kind = .wanda(norms: values, columns: columns)
    case .supplied: kind = .supplied(values)
    }
  }

  /// A scoring of the given kind.
  init(kind: Kind) {
    self.kind = kind
  }

  /// Writes the scores of elements `range` to `scores[0 ..< range.count]`; `values` holds the
  /// weights of exactly those elements.
  func scores<Scalar: PrunableScalar>(
    of values: UnsafeBufferPointer<Scalar>, at range: Range<Int>,
    into scores: UnsafeMutableBufferPointer<Float>
  ) {
    precondition(values.count == range.count && scores.count >= range.count)
    switch kind {
    case .magnitude(let squared):
      if squared {
        for slot in values.indices {
          let weight = values[slot].widened
          scores[slot] = weight * weight
        }
      } else {
        for slot in values.indices { scores[slot] = abs(values[slot].widened) }
      }
    case .random(let seed, let firstStep):
      var state = RandomScores.state(seed, advancedBy: firstStep + range.lowerBound)
      for slot in values.indices {
        state = RandomScores.step(state)
        scores[slot] = RandomScores.score(state)
      }
    case .wanda(let norms, let columns):
      norms.withUnsafeBufferPointer { norms in
        var column = range.lowerBound % columns
        for slot in values.indices {
          scores[slot] = abs(values[slot].widened) * norms[column]
          column += 1
          if column == columns { column = 0 }
        }
      }
    case .taylor(let gradients):
      gradients.withUnsafeBufferPointer { gradients in
        for slot in values.indices {
          scores[slot] = abs(values[slot].widened * gradients[range.lowerBound + slot])
        }
      }
    case .supplied(let supplied):
      supplied.withUnsafeBufferPointer { supplied in
        _ = scores.update(fromContentsOf: supplied[range])
      }
    }
  }

  /// Whether a non-finite weight always makes its score non-finite (given finite inputs), so
  /// that the scoring pass itself can detect corrupted weights.
  var revealsNonFiniteWeights: Bool {
    switch kind {
    case .magnitude, .wanda, .taylor: true
    case .random, .supplied: false
    }
  }
}

/// The selection keys of per-element scores. With `zerosFirst`, a zero weight's key is 0,
/// below every score's: the weights pruned in an earlier round are pruned first.
struct ElementScoreKeys<Scalar: PrunableScalar>: KeySource {
  let values: UnsafeBufferPointer<Scalar>
  let scoring: ElementScoring
  let zerosFirst: Bool

  var count: Int { values.count }

  func fillKeys(_ range: Range<Int>, into keys: UnsafeMutableBufferPointer<UInt32>) {
    Self.keys(
      of: UnsafeBufferPointer(rebasing: values[range]), at: range, scoring: scoring,
      zerosFirst: zerosFirst, into: keys)
  }

  /// Writes the keys of elements `range`, whose weights are `values`, to `keys`.
  static func keys(
    of values: UnsafeBufferPointer<Scalar>, at range: Range<Int>, scoring: ElementScoring,
    zerosFirst: Bool, into keys: UnsafeMutableBufferPointer<UInt32>
  ) {
    if !zerosFirst, case .magnitude(let squared) = scoring.kind {
      // Straight from the weights' bits: the keys the scores give, for every finite or
      // infinite weight (a NaN's key is non-finite either way).
      MagnitudeKeys(values: values, squared: squared).fillKeys(0 ..< values.count, into: keys)
      return
    }
    keys.withMemoryRebound(to: Float.self) { scores in
      scoring.scores(of: values, at: range, into: scores)
    }
    for slot in 0 ..< range.count {
      // A NaN score (a NaN weight, or ±Inf × 0) keys above everything, whatever its sign
      // bit, so that the scoring pass reveals it.
      let score = Float(bitPattern: keys[slot])
      keys[slot] = score.isNaN ? .max : ScoreKey.key(score)
    }
    if zerosFirst {
      values.withMemoryRebound(to: Scalar.Bits.self) { bits in
        let magnitude = Scalar.Bits.max >> 1
        for slot in 0 ..< range.count where bits[slot] & magnitude == 0 { keys[slot] = 0 }
      }
    }
  }
}
