// WeightTensor: its shape always holds exactly its values.

import Testing
@testable import Pruning

@Suite struct WeightTensorTests {
  @Test(arguments: [
    ([3], 3), ([2, 3], 6), ([2, 3, 4], 24), ([], 1), ([1, 1, 1, 5], 5), ([4, 1], 4),
  ])
  func countIsTheShapeProduct(shape: [Int], count: Int) throws {
    let values = (0 ..< count).map(Float.init)
    let t = try WeightTensor(name: "w", shape: shape, values: values)
    #expect(t.count == count)
    #expect(t.rank == shape.count)
    #expect(t.shape == shape)
    #expect(t.values == values)
    #expect(t.name == "w")
  }

  @Test func zeroExtentHoldsNoValues() throws {
    let t = try WeightTensor(name: "e", shape: [0, 4], values: [])
    #expect(t.count == 0)
  }

  @Test(arguments: [
    ([3], 2), ([2, 3], 5), ([2, 3], 7), ([], 0), ([], 2), ([0], 1), ([2, 2], 0),
  ])
  func shapeProductDifferentFromValueCountThrows(shape: [Int], valueCount: Int) {
    let values = [Float](repeating: 1, count: valueCount)
    #expect(throws: PruningError.shapeMismatch(name: "fc", shape: shape, valueCount: valueCount)) {
      try WeightTensor(name: "fc", shape: shape, values: values)
    }
  }

  @Test(arguments: [[-1], [-2, -3], [-1, -6], [2, -3], [0, -1], [-4, 0]])
  func negativeDimensionThrows(shape: [Int]) {
    // [-2, -3] and [-1, -6] have a product of 6 and [0, -1] one of 0: the sign matters, not
    // only the product.
    let count = abs(shape.reduce(1, *))
    let values = [Float](repeating: 1, count: count)
    #expect(throws: PruningError.shapeMismatch(name: "neg", shape: shape, valueCount: count)) {
      try WeightTensor(name: "neg", shape: shape, values: values)
    }
  }

  @Test func overflowingShapeThrows() {
    #expect(throws: PruningError.self) {
      try WeightTensor(name: "huge", shape: [Int.max, 2], values: [1, 2])
    }
  }

  @Test func shapeMismatchMessageNamesTensorShapeAndCount() throws {
    let error = try #require(throws: PruningError.self) {
      try WeightTensor(name: "layer.0.weight", shape: [2, 3], values: [1, 2, 3])
    }
    #expect(error.description == "tensor \"layer.0.weight\": shape [2, 3] does not hold 3 values")
  }
}
