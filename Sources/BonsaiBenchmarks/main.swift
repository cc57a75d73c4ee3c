// Release-mode benchmark of the pruning kernels, run by scripts/bench next to the numpy
// reference (scripts/bench_numpy.py) in the same run. Prints one JSON object per case:
// {"case": …, "shape": [rows, columns], "threads": n, "median_ms": …, "repeats": n}.
//
// Each timed repeat prunes a fresh copy of the matrix in place; restoring the copy is not
// timed. "copy" times one memcpy of the matrix, the floor any in-place pass is held to.

import Foundation
import Pruning

let arguments = CommandLine.arguments.dropFirst()
let repeats = arguments.first.flatMap { Int($0) } ?? 9
/// Only the cases whose names contain one of these comma-separated words (all by default).
let only = (arguments.dropFirst().first ?? "").split(separator: ",").map(String.init)

/// Whether case `name` is selected by `only`.
func selected(_ name: String) -> Bool {
  only.isEmpty || only.contains { name.contains($0) }
}
let shapes = [[4096, 4096], [4096, 11008]]

/// Uniform floats in ±1 from a fixed LCG (deterministic inputs).
func matrix(_ count: Int) -> UnsafeMutableBufferPointer<Float> {
  let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
  var state: UInt64 = 42
  for index in 0 ..< count {
    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    buffer[index] = Float(Int32(truncatingIfNeeded: state >> 32)) / 2_147_483_648
  }
  return buffer
}

/// The median of `repeats` timings of `body`, in milliseconds, each after `prepare`.
func median(_ prepare: () -> Void, repeats: Int = repeats, _ body: () throws -> Void) rethrows -> Double {
  var times = [Double]()
  for _ in 0 ..< repeats {
    prepare()
    let elapsed = try ContinuousClock().measure(body)
    times.append(Double(elapsed.components.seconds) * 1e3 + Double(elapsed.components.attoseconds) / 1e15)
  }
  times.sort()
  return times[times.count / 2]
}

func emit(_ name: String, _ shape: [Int], threads: Int, repeats: Int = repeats, _ milliseconds: @autoclosure () throws -> Double) rethrows {
  guard selected(name) else { return }
  let milliseconds = try milliseconds()
  print(#"{"case": "\#(name)", "shape": \#(shape), "threads": \#(threads), "median_ms": \#(milliseconds), "repeats": \#(repeats)}"#)
  fflush(nil)
}

let threadCounts = [1, ProcessInfo.processInfo.activeProcessorCount]
for shape in shapes {
  let count = shape[0] * shape[1]
  let pristine = matrix(count)
  let work = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
  defer {
    pristine.deallocate()
    work.deallocate()
  }
  let restore = { _ = work.update(fromContentsOf: pristine) }
  // The floor every case is compared with: always measured.
  print(#"{"case": "copy", "shape": \#(shape), "threads": 1, "median_ms": \#(median({}, restore)), "repeats": \#(repeats)}"#)

  let cases: [(String, ImportanceMetric, PruningGranularity)] = [
    ("unstructured_l1", .l1Magnitude, .unstructured), ("unstructured_l2", .l2Magnitude, .unstructured),
    ("rows_l1", .l1Magnitude, .rows), ("rows_l2", .l2Magnitude, .rows),
    ("columns_l1", .l1Magnitude, .columns), ("columns_l2", .l2Magnitude, .columns),
  ]
  for threads in Set(threadCounts).sorted() {
    for (name, metric, granularity) in cases {
      let pruner = Pruner(try PruningConfig(sparsity: 0.5, metric: metric, granularity: granularity), threadCount: threads)
      try emit(name, shape, threads: threads, try median(restore) {
        var span = work.mutableSpan
        _ = try pruner.prune(&span, shape: shape, name: name)
      })
    }
    // The methods beyond the reference: N:M patterns, each row ranked alone (magnitude and
    // Wanda).
    let norms = (0 ..< shape[1]).map { Float($0 % 97 + 1) / 97 }
    let methods: [(String, PruningConfig, ScoreInput?)] = [
      ("nm_2_4_l1", try .semiStructured(keep: 2, of: 4), nil),
      ("nm_1_4_l1", try .semiStructured(keep: 1, of: 4), nil),
      ("nm_4_8_l1", try .semiStructured(keep: 4, of: 8), nil),
      ("per_row_l1", try PruningConfig(sparsity: 0.5, scope: .perRow), nil),
      ("per_row_l2", try PruningConfig(sparsity: 0.5, metric: .l2Magnitude, scope: .perRow), nil),
      ("wanda_per_row", try PruningConfig(sparsity: 0.5, metric: .wanda, scope: .perRow), .inputNorms(norms)),
    ]
    for (name, config, input) in methods {
      let pruner = Pruner(config, threadCount: threads)
      try emit(name, shape, threads: threads, try median(restore) {
        var span = work.mutableSpan
        _ = try pruner.prune(&span, shape: shape, name: name, input: input)
      })
    }
    for (name, granularity) in [("row_norms_l2", PruningGranularity.rows), ("column_norms_l2", .columns)] {
      let pruner = Pruner(try PruningConfig(sparsity: 0, metric: .l2Magnitude, granularity: granularity, minNonzero: 0), threadCount: threads)
      let tensor = try WeightTensor(name: name, shape: shape, values: Array(pristine))
      try emit(name, shape, threads: threads, try median({}) { _ = try pruner.importanceScores(of: tensor) })
    }
  }
  try benchmarkSparseGPT(
    weights: Array(pristine), work: work, shape: shape, threadCounts: Set(threadCounts).sorted())
}
