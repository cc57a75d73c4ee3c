import Foundation
import SafeTensors
import TestSupport
import Testing

@Suite("Malformed files")
struct MalformedFileTests {
  @Test("is rejected with a message naming the problem", arguments: malformedCases)
  func rejected(_ malformed: MalformedCase) throws {
    let directory = try TemporaryDirectory()
    let path = directory.file("bad.safetensors")
    try writeRaw(malformed.bytes, to: path)
    let error = try #require(openingError(path), "opened without error")
    let message = error.description
    #expect(message.contains(malformed.message), "\(message)")
    #expect(message.hasPrefix(path + ": "))
    #expect(!message.contains("\n"))
    #expect(error.path == path)
    // Servers log `localizedDescription`: it is the message, not Foundation's generic text.
    #expect((error as any Error).localizedDescription == message)
  }

  @Test("there are at least 30 kinds")
  func enoughKinds() {
    #expect(malformedCases.count >= 30)
    #expect(Set(malformedCases.map(\.name)).count == malformedCases.count)
  }

  @Test("the valid base file used above does open")
  func validBase() throws {
    let directory = try TemporaryDirectory()
    let path = directory.file("good.safetensors")
    try writeRaw(validFile, to: path)
    #expect(try SafeTensorsFile(path: path).tensors.count == 2)
  }

  @Test("I/O failures: missing file, directory")
  func ioFailures() throws {
    let directory = try TemporaryDirectory()
    let missing = directory.file("missing.safetensors")
    #expect(openingError(missing) == .cannotOpen(path: missing, errno: ENOENT))
    #expect(openingError(missing)?.description.contains("No such file or directory") == true)
    #expect(openingError(directory.path) == .notRegularFile(path: directory.path))
  }

  @Test("names in messages are escaped and shortened, so a message stays one line")
  func hostileNamesInMessages() throws {
    let directory = try TemporaryDirectory()
    let path = directory.file("names.safetensors")
    let longName = String(repeating: "x", count: 1000)
    let header = "{" + entry(#"a\nb"# + longName, "F32", "[1]", "[0,8]") + "}"
    try writeRaw(fileBytes(header: header, data: four + four), to: path)
    let message = try #require(openingError(path)).description
    #expect(message.contains(#"tensor "a\nb"#))
    #expect(message.contains("…"))
    #expect(!message.contains("\n"))
    #expect(message.count < 400)
  }
}
