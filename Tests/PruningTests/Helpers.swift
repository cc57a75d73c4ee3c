// Small conveniences shared by the test files: conversions between the library's options and
// the reference's, and shorthands for building tensors and configurations.

import Foundation
#if canImport(Glibc)
import Glibc
#endif
@testable import Pruning
import TestSupport

extension ImportanceMetric {
  /// The reference's view of this metric (the Taylor proxy is scored as L2).
  var reference: ReferenceMetric {
    switch self {
    case .l1Magnitude: .l1
    case .l2Magnitude, .taylorProxy: .l2
    case .random(let seed): .random(seed: seed)
    case .taylor, .wanda, .supplied: preconditionFailure("\(name) has no ReferenceMetric")
    }
  }
}

extension PruningGranularity {
  /// The reference's view of this granularity.
  var reference: ReferenceGranularity {
    switch self {
    case .unstructured: .unstructured
    case .rows: .rows
    case .columns: .columns
    case .semiStructured, .blocks: preconditionFailure("\(name) has no ReferenceGranularity")
    }
  }

  static let all: [PruningGranularity] = [.unstructured, .rows, .columns]
}

/// Every metric, with one random seed.
let allMetrics: [ImportanceMetric] = [.l1Magnitude, .l2Magnitude, .taylorProxy, .random(seed: 7)]

/// A tensor that the test knows to be valid.
func tensor(_ values: [Float], shape: [Int]? = nil, name: String = "t") throws -> WeightTensor {
  try WeightTensor(name: name, shape: shape ?? [values.count], values: values)
}

/// A pruner for the given options.
func pruner(
  sparsity: Double, metric: ImportanceMetric = .l1Magnitude,
  granularity: PruningGranularity = .unstructured, minNonzero: Int = 1, threads: Int = 1
) throws -> Pruner {
  Pruner(
    try PruningConfig(
      sparsity: sparsity, metric: metric, granularity: granularity, minNonzero: minNonzero),
    threadCount: threads)
}

/// The indices where `flags` is true.
func indices(where flags: [Bool]) -> [Int] {
  flags.indices.filter { flags[$0] }
}

/// The mask as one Bool per element, read through the public subscript.
func keptFlags(_ mask: PruningMask) -> [Bool] {
  (0 ..< mask.count).map { mask[$0] }
}

/// Whether `a` and `b` agree within `relative` of the larger magnitude (or `absolute`).
/// Non-finite values are close only to themselves.
func close(_ a: Double, _ b: Double, relative: Double = 1e-5, absolute: Double = 1e-30) -> Bool {
  guard a.isFinite && b.isFinite else { return a == b }
  return abs(a - b) <= max(absolute, relative * max(abs(a), abs(b)))
}

/// `count` floats with `distinct` values, like `SeededGenerator.tiedFloats`, fast in debug.
func fastTiedFloats(_ generator: inout SeededGenerator, _ count: Int, distinct: Int) -> [Float] {
  generator.uniformFloats(count, in: 0 ... 1).map {
    min(Float(distinct - 1), ($0 * Float(distinct)).rounded(.down)) - Float(distinct / 2)
  }
}

/// Prunes `values` in place through the `MutableSpan` entry point.
func pruneSpan<Scalar: PrunableScalar>(
  _ pruner: Pruner, _ values: inout [Scalar], shape: [Int], name: String = "t"
) throws(PruningError) -> PruningMask {
  var span = values.mutableSpan
  return try pruner.prune(&span, shape: shape, name: name)
}

/// `value` encoded to JSON and decoded back.
func roundTrip<Value: Codable>(_ value: Value) throws -> Value {
  try JSONDecoder().decode(Value.self, from: JSONEncoder().encode(value))
}

/// Whether `a` and `b` hold the same bits (so −0 differs from +0 and NaN equals itself).
func bitIdentical(_ a: [Float], _ b: [Float]) -> Bool {
  a.count == b.count && a.withUnsafeBytes { a in
    b.withUnsafeBytes { b in a.count == 0 || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0 }
  }
}
