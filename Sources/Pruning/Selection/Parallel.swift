import Dispatch

/// How the passes over a tensor are split: fixed-size chunks of units, so that the work a
/// chunk does, and therefore every result, does not depend on the number of threads.
struct ChunkLayout {
  /// Units per chunk: a multiple of 64, so that a chunk owns whole words of a bit mask.
  static let chunkSize = 1 << 16

  /// The number of units in all.
  let count: Int

  /// The number of chunks.
  var chunkCount: Int { (count + Self.chunkSize - 1) / Self.chunkSize }

  /// The units of chunk `chunk`.
  func units(ofChunk chunk: Int) -> Range<Int> {
    let start = chunk * Self.chunkSize
    return start ..< min(count, start + Self.chunkSize)
  }
}

/// Runs independent tasks on a fixed number of threads.
enum Parallel {
  /// The number of threads Bonsai uses unless told otherwise: the active processor count.
  static var defaultThreadCount: Int { System.activeProcessorCount }

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
