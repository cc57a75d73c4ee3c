// Elements at any byte offset: read in place or through an aligned copy, and, when
// changed, copied back — the same values as an aligned buffer, every byte around untouched.

import Testing
import TestSupport
@testable import Pruning

@Suite struct AlignedElementsTests {
  @Test(arguments: [0, 1, 2, 3, 4])
  func elementsAtAnyOffsetAreReadAndWrittenBack(offset: Int) {
    var random = SeededGenerator(seed: 400)
    let values = random.floats(37)
    let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: 37 * 4 + 16, alignment: 16)
    defer { storage.deallocate() }
    storage.initializeMemory(as: UInt8.self, repeating: 0xA5)
    let bytes = UnsafeMutableRawBufferPointer(rebasing: storage[offset ..< offset + 37 * 4])
    for (index, value) in values.enumerated() {
      bytes.storeBytes(of: value, toByteOffset: index * 4, as: Float.self)
    }
    let read = withAlignedElements(UnsafeRawBufferPointer(bytes), as: Float.self) { span in
      (0 ..< span.count).map { span[$0] }
    }
    #expect(read == values)
    withAlignedMutableElements(bytes, as: Float.self) { span in
      for index in 0 ..< span.count where index % 3 == 0 { span[index] = -span[index] }
    }
    for (index, value) in values.enumerated() {
      let stored = bytes.loadUnaligned(fromByteOffset: index * 4, as: Float.self)
      #expect(stored == (index % 3 == 0 ? -value : value))
    }
    let outside = Array(storage[0 ..< offset]) + Array(storage[(offset + 37 * 4)...])
    #expect(outside.allSatisfy { $0 == 0xA5 })
  }
}
