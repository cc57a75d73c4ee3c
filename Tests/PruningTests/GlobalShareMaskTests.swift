// A tensor's share of a global cut as a dry run (`Pruner.mask(of:…following:)`): the mask
// that pruning with the share gives, the weights untouched — what `bonsai prune` decides on
// a mapped checkpoint before it copies the tensor through the mask into the file.

import Testing
import TestSupport
@testable import Pruning

@Suite struct GlobalShareMaskTests {
  @Test(arguments: [
    ImportanceMetric.l1Magnitude, .l2Magnitude, .random(seed: 9),
  ])
  func dryRunGivesThePrunedMaskAndWritesNothing(metric: ImportanceMetric) throws {
    var random = SeededGenerator(seed: 41)
    // Ties (few distinct values), and one tensor above a chunk (1 << 16) of the selection.
    let tensors = [
      (name: "a", shape: [70, 1000], values: random.tiedFloats(70_000, distinct: 50)),
      (name: "b", shape: [3, 33], values: random.floats(99)),
    ]
    let pruner = Pruner(
      try PruningConfig(sparsity: 0.45, metric: metric, scope: .global), threadCount: 2)
    let cut = try tensors[0].values.withUnsafeBytes { first in
      try tensors[1].values.withUnsafeBytes { second in
        try pruner.globalCut([
          RankedTensor(name: "a", shape: tensors[0].shape, bytes: first, as: Float.self),
          RankedTensor(name: "b", shape: tensors[1].shape, bytes: second, as: Float.self),
        ])
      }
    }
    for tensor in tensors {
      let bits = tensor.values.map(\.bitPattern)  // a copy of its own
      let mask = try pruner.mask(
        of: tensor.values.span, shape: tensor.shape, name: tensor.name, following: cut)
      #expect(tensor.values.map(\.bitPattern) == bits, "\(tensor.name): the dry run wrote")
      var pruned = tensor.values
      var span = pruned.mutableSpan
      let applied = try pruner.prune(&span, shape: tensor.shape, name: tensor.name, following: cut)
      #expect(mask == applied, "\(tensor.name)")
      #expect(mask.prunedCount > 0, "\(tensor.name): nothing pruned, the test proves nothing")
      #expect(
        zip(pruned, tensor.values).enumerated().allSatisfy { index, pair in
          pair.0.bitPattern == (mask[index] ? pair.1.bitPattern : 0)
        }, "\(tensor.name): the mask is not what pruning applied")
    }
  }

  @Test func dryRunChecksTheTensorAsPruningDoes() throws {
    let values: [Float] = [1, 2, 3, 4]
    let pruner = Pruner(try PruningConfig(sparsity: 0.5, scope: .global))
    let cut = try values.withUnsafeBytes { bytes in
      try pruner.globalCut([RankedTensor(name: "t", shape: [2, 2], bytes: bytes, as: Float.self)])
    }
    #expect(throws: PruningError.unknownTensor(name: "u")) {
      try pruner.mask(of: values.span, shape: [2, 2], name: "u", following: cut)
    }
    #expect(throws: PruningError.rankedShapeMismatch(name: "t", ranked: [2, 2], given: [4])) {
      try pruner.mask(of: values.span, shape: [4], name: "t", following: cut)
    }
  }
}
