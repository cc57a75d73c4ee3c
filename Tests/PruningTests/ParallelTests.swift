import Synchronization
import Testing

@testable import Pruning

@Suite struct ParallelTests {
  /// The bands cover every item once, in order, one band per worker, their sizes within one
  /// of each other.
  @Test(arguments: [0, 1, 5, 100, 4097], [1, 2, 3, 8])
  func bandsTileTheItemsInOrder(count: Int, threads: Int) {
    let bands = Mutex([Range<Int>]())
    Parallel.forEachBand(of: count, threads: threads) { band in
      bands.withLock { $0.append(band) }
    }
    let sorted = bands.withLock { $0 }.sorted { $0.lowerBound < $1.lowerBound }
    #expect(sorted.count == max(1, min(threads, count)))
    #expect(sorted.first?.lowerBound == 0 && sorted.last?.upperBound == count)
    #expect(zip(sorted, sorted.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
    let sizes = sorted.map(\.count)
    #expect((sizes.max() ?? 0) - (sizes.min() ?? 0) <= 1)
  }
}
