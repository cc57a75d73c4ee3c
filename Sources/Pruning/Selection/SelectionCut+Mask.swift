extension SelectionCut {
  /// The mask of the units this cut keeps, computed in one pass over `source`.
  ///
  /// - Parameters:
  ///   - source: the same keys the cut was selected from.
  ///   - threads: how many threads the pass may use; the result does not depend on it.
  ///   - onWord: called with the first unit of each 64-unit word and its kept bits, from
  ///     several threads at once (each word once), so that a caller can zero the pruned
  ///     weights in the same pass while they are in cache.
  func mask<Source: KeySource>(
    of source: Source, threads: Int, onWord: (_ start: Int, _ kept: UInt64) -> Void = { _, _ in }
  ) -> PruningMask {
    let layout = ChunkLayout(count: source.count)
    let blockSize = LowestKSelection.blockSize
    var words = [UInt64](repeating: 0, count: (source.count + 63) / 64)
    words.withUnsafeMutableBufferPointer { words in
      Parallel.forEachWorker(tasks: layout.chunkCount, threads: threads) { _, chunks in
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: blockSize) { keys in
          for chunk in chunks {
            var quota = tieQuotas[chunk]
            let units = layout.units(ofChunk: chunk)
            for start in stride(from: units.lowerBound, to: units.upperBound, by: blockSize) {
              let end = min(start + blockSize, units.upperBound)
              source.fillKeys(start ..< end, into: keys)
              for wordStart in stride(from: start, to: end, by: 64) {
                let kept = keptBits(
                  UnsafeMutableBufferPointer(
                    rebasing: keys[wordStart - start ..< min(wordStart + 64, end) - start]),
                  quota: &quota)
                words[wordStart >> 6] = kept
                onWord(wordStart, kept)
              }
            }
          }
        }
      }
    }
    return PruningMask(count: source.count, words: words)
  }

  /// The kept bits of up to 64 consecutive units: those below the threshold are pruned, and
  /// of those equal to it the first `quota`, which is reduced accordingly.
  @inline(__always)
  private func keptBits(_ keys: UnsafeMutableBufferPointer<UInt32>, quota: inout Int) -> UInt64 {
    var below: UInt64 = 0
    var equal: UInt64 = 0
    if keys.count == 64 {
      let thresholdLanes = KeyLanes(repeating: threshold)
      for part in 0 ..< 4 {
        let lanes = keys.lanes(at: part * 16)
        below |= LaneBits.bits(lanes .< thresholdLanes) << UInt64(part * 16)
        if quota > 0 {
          equal |= LaneBits.bits(lanes .== thresholdLanes) << UInt64(part * 16)
        }
      }
    } else {
      for index in 0 ..< keys.count {
        let key = keys[index]
        below |= UInt64(key < threshold ? 1 : 0) << UInt64(index)
        equal |= UInt64(key == threshold ? 1 : 0) << UInt64(index)
      }
    }
    var pruned = below
    while quota > 0 && equal != 0 {
      pruned |= equal & (0 &- equal)
      equal &= equal &- 1
      quota -= 1
    }
    let valid: UInt64 = keys.count == 64 ? .max : (1 << UInt64(keys.count)) - 1
    return ~pruned & valid
  }
}
