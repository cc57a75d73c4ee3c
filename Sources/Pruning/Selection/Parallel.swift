import Dispatch

/// How the passes over a tensor are split: fixed-size chunks of units, so that the work a
/// chunk does, and therefore every result, does not depend on the number of threads.
///
/// Units may come in segments (the tensors of a global ranking): chunks never straddle two
/// segments, and each segment's chunks start at the segment's first unit, so that the chunks
/// of a segment are exactly the chunks of that tensor on its own.
struct ChunkLayout {
  /// Units per chunk: a multiple of 64, so that a chunk owns whole words of a bit mask.
  static let chunkSize = 1 << 16

  /// The number of units in all.
  let count: Int
  /// The first unit of every chunk, then `count`.
  private let bounds: [Int]
  /// The chunks of each segment.
  let segments: [Range<Int>]

  /// The chunks of `count` units in one segment.
  init(count: Int) {
    self.init(segmentCounts: [count])
  }

  /// The chunks of consecutive segments of the given sizes.
  init(segmentCounts: [Int]) {
    var bounds = [Int]()
    var segments = [Range<Int>]()
    var start = 0
    for size in segmentCounts {
      let firstChunk = bounds.count
      bounds.append(contentsOf: stride(from: start, to: start + size, by: Self.chunkSize))
      segments.append(firstChunk ..< bounds.count)
      start += size
    }
    bounds.append(start)
    self.count = start
    self.bounds = bounds
    self.segments = segments
  }

  /// The number of chunks.
  var chunkCount: Int { bounds.count - 1 }

  /// The units of chunk `chunk`.
  func units(ofChunk chunk: Int) -> Range<Int> {
    bounds[chunk] ..< bounds[chunk + 1]
  }
}

/// Runs independent tasks on a fixed number of threads.
enum Parallel {
  /// The number of threads Bonsai uses unless told otherwise: the processors this process
  /// may use (its affinity mask and cgroup CPU quota).
  static var defaultThreadCount: Int { AvailableProcessors.count }

  /// Calls `body` once per worker with the tasks that worker owns (task `t` goes to worker
  /// `t % workers`); workers run concurrently, at most `threads` of them.
  static func forEachWorker(
    tasks: Int, threads: Int, _ body: (_ worker: Int, _ tasks: StrideTo<Int>) -> Void
  ) {
    let workers = max(1, min(threads, tasks))
    if workers == 1 {
      body(0, stride(from: 0, to: tasks, by: 1))
      return
    }
    withoutActuallyEscaping(body) { body in
      let work = UncheckedSendable(body)
      DispatchQueue.concurrentPerform(iterations: workers) { worker in
        work.value(worker, stride(from: worker, to: tasks, by: workers))
      }
    }
  }

  /// Calls `body` once per worker with the chunks of `layout` that worker owns, one segment
  /// after the other (a segment's chunks shared out among the workers), and `finished` after
  /// each segment, once all its chunks are done. Worker indices are below `threads`.
  static func forEachWorker(
    over layout: ChunkLayout, threads: Int, finished: (_ segment: Int) -> Void,
    _ body: (_ worker: Int, _ chunks: StrideTo<Int>) -> Void
  ) {
    for (index, segment) in layout.segments.enumerated() {
      forEachWorker(tasks: segment.count, threads: threads) { worker, _ in
        let workers = max(1, min(threads, segment.count))
        body(worker, stride(from: segment.lowerBound + worker, to: segment.upperBound, by: workers))
      }
      finished(index)
    }
  }

  /// Calls `body` once per worker with one contiguous band of `0 ..< count` (the bands in
  /// order, their sizes differing by at most one), on at most `threads` threads. For passes
  /// that stream through memory: items dealt out in turn have each core's prefetcher fetch
  /// the items between its own.
  static func forEachBand(of count: Int, threads: Int, _ body: (_ band: Range<Int>) -> Void) {
    let workers = max(1, min(threads, count))
    forEach(tasks: workers, threads: workers) { worker in
      body(worker * count / workers ..< (worker + 1) * count / workers)
    }
  }

  /// Calls `body` for every task in `0 ..< tasks`, on at most `threads` threads.
  static func forEach(tasks: Int, threads: Int, _ body: (_ task: Int) -> Void) {
    forEachWorker(tasks: tasks, threads: threads) { _, owned in
      for task in owned { body(task) }
    }
  }
}

/// Carries the work closure of `Parallel` into Dispatch's `@Sendable` closure. The callers'
/// closures capture buffers that workers write at disjoint indices (one chunk, one row,
/// one band each) and read-only inputs; that discipline, not the type system, makes the
/// sharing safe, and it is kept inside this module.
private struct UncheckedSendable<Value>: @unchecked Sendable {
  let value: Value

  init(_ value: Value) {
    self.value = value
  }
}
