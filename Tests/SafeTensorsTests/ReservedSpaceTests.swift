import Foundation
import SafeTensors
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// `StagedFile.reserve(_:)`: the space of a whole file allocated before it is written (as
/// `SafeTensorsWriter` does for its output), without the file ever seeming longer than what
/// was written to it.
@Suite struct ReservedSpaceTests {
  @Test func reservingKeepsTheSizeOfWhatWasWritten() throws {
    let directory = try TemporaryDirectory()
    let path = directory.file("out.bin")
    let file = try StagedFile(destination: path, syncsToDisk: false)
    try file.reserve(4 << 20)
    var status = stat()
    #expect(stat(file.temporaryPath, &status) == 0 && status.st_size == 0)
    let bytes: [UInt8] = Array(0 ..< 200)
    try bytes.withUnsafeBytes { try file.write($0) }
    #expect(stat(file.temporaryPath, &status) == 0 && status.st_size == 200)
    try AtomicCommit.commit([file])
    #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(bytes))
  }

  @Test func writersReserveTheirWholeFile() throws {
    let directory = try TemporaryDirectory()
    let path = directory.file("out.safetensors")
    let file = try StagedFile(destination: path, syncsToDisk: false)
    let writer = try SafeTensorsWriter(
      file: file, tensors: [TensorHeader(name: "w", dtype: .f32, shape: [512, 1024])], metadata: nil)
    var status = stat()
    #expect(stat(file.temporaryPath, &status) == 0)
    // The header only, but the space of the whole tensor (2 MB) allocated (blocks of 512
    // bytes) on this disk.
    #expect(status.st_size < 4096)
    #expect(status.st_blocks * 512 >= 2 << 20, "the writer reserved nothing")
    writer.abandon()
  }
}
