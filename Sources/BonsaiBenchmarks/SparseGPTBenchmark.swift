// SparseGPT cases of the release benchmark: from the Hessian to the pruned weights (the
// factor, then the blocked sweep), unstructured 50 % and 2:4, as the published algorithm
// runs. The weights and the Hessian are written to bench-results/ as raw Float32 so that the
// numpy reference (scripts/bench_numpy.py) prunes exactly the same inputs in the same run.

import Foundation
import Pruning

/// Times SparseGPT on `pristine` [shape], pruned in `work`, with the Hessian of `samples` calibration inputs,
/// and writes both for the reference. SparseGPT runs take seconds: at most 3 repeats, and
/// one beyond 4096 inputs.
func benchmarkSparseGPT(
  weights pristine: [Float], work weights: UnsafeMutableBufferPointer<Float>, shape: [Int],
  threadCounts: [Int]
) throws {
  let cases: [(String, SparseGPTConfig)] = [
    ("sparsegpt_unstructured", try SparseGPTConfig(sparsity: 0.5)),
    ("sparsegpt_2_4", try SparseGPTConfig(sparsity: 0, granularity: .semiStructured(keep: 2, of: 4))),
  ]
  let names = ["sparsegpt_factor"] + cases.map(\.0)
  guard names.contains(where: selected) else { return }
  let (rows, n) = (shape[0], shape[1])
  let samples = 2048
  let generated = matrix(samples * n)
  let activations = Array(generated)
  generated.deallocate()
  let hessian = try CalibrationHessian.hessian(
    ofActivations: activations.span, shape: [samples, n], name: "bench")
  try write(pristine, to: "bench-results/sparsegpt_\(rows)x\(n)_weights.f32")
  try write(hessian.map(Float.init), to: "bench-results/sparsegpt_\(rows)x\(n)_hessian.f32")
  let restore = { _ = weights.update(fromContentsOf: pristine) }
  let runs = n > 4096 ? 1 : min(repeats, 3)
  for threads in threadCounts {
    let factoring = SparseGPT(try SparseGPTConfig(sparsity: 0.5), threadCount: threads)
    try emit("sparsegpt_factor", shape, threads: threads, repeats: runs, try median({}, repeats: runs) {
      _ = try factoring.factor(hessian: hessian.span, size: n, name: "factor")
    })
    for (name, config) in cases where selected(name) {
      let sparseGPT = SparseGPT(config, threadCount: threads)
      try emit(name, shape, threads: threads, repeats: runs, try median(restore, repeats: runs) {
        let factor = try sparseGPT.factor(hessian: hessian.span, size: n, name: name)
        var span = weights.mutableSpan
        try sparseGPT.prune(&span, shape: shape, name: name, factor: factor)
      })
      let pruned = Array(weights)
      let error = try OutputError.relative(
        original: pristine.span, pruned: pruned.span, shape: shape, hessian: hessian.span,
        name: name)
      FileHandle.standardError.write(
        Data("\(name) \(shape) \(threads) threads: relative output error \(error)\n".utf8))
    }
  }
}

/// Writes `values` as raw little-endian Float32.
private func write(_ values: [Float], to path: String) throws {
  try values.withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: path)) }
}
