// Crafted config.json and index files, as a hostile user would hand them over: other text
// encodings, random mutations, links to devices, FIFOs, files too large, safetensors files
// the index does not name. Each gives a typed one-line error or a value, never a trap, a hang
// or unbounded memory.

import Foundation
@testable import ModelFolders
import SafeTensors
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

@Suite("Hostile config and index files")
struct HostileConfigTests {
  static let configSeed = Array(
    #"{"architectures":["LlamaForCausalLM"],"hidden_size":8,"k\u00e9y":"v\"\\","#.utf8)
    + Array(#""rope_scaling":{"factor":8},"intermediate_size":16,"eps":1e-06,"n":[1,{"a":2}]}"#.utf8)
  static let indexSeed = Array(
    #"{"metadata":{"total_size":64},"weight_map":{"a":"model-1.safetensors","b\u00e9":"m.safetensors"}}"#
      .utf8)

  /// `seed` mutated by one to three random edits: a byte changed, a bit flipped, bytes
  /// removed, JSON punctuation inserted, the tail cut off.
  static func mutated(_ seed: [UInt8], using generator: inout SeededGenerator) -> [UInt8] {
    let interesting: [[UInt8]] = [
      Array("\"".utf8), Array("\\".utf8), Array("\\u".utf8), Array("{".utf8), Array("}".utf8),
      Array("[".utf8), Array(":".utf8), Array(",".utf8), Array("-1".utf8), Array("1e999".utf8),
      Array("99999999999999999999".utf8), [0xFF], [0xC3], [0x00], [0xFE, 0xFF],
    ]
    var bytes = seed
    for _ in 0 ..< Int.random(in: 1 ... 3, using: &generator) where !bytes.isEmpty {
      let index = Int.random(in: 0 ..< bytes.count, using: &generator)
      switch Int.random(in: 0 ..< 5, using: &generator) {
      case 0: bytes[index] = UInt8.random(in: .min ... .max, using: &generator)
      case 1: bytes[index] ^= 1 << UInt8.random(in: 0 ..< 8, using: &generator)
      case 2: bytes.removeSubrange(index ..< min(bytes.count, index + Int.random(in: 1 ... 4, using: &generator)))
      case 3: bytes.insert(contentsOf: interesting.randomElement(using: &generator) ?? [], at: index)
      default: bytes = Array(bytes.prefix(index))
      }
    }
    return bytes
  }

  /// `text` encoded as UTF-16 or UTF-32 (Foundation parses those too), with or without a
  /// byte-order mark.
  static func otherEncodings(_ text: [UInt8]) -> [[UInt8]] {
    let string = String(decoding: text, as: UTF8.self)
    return [String.Encoding.utf16, .utf16BigEndian, .utf16LittleEndian, .utf32, .utf32LittleEndian]
      .compactMap { string.data(using: $0).map { [UInt8]($0) } }
  }

  @Test("a config in UTF-16 or UTF-32 is an error, not a read past the end")
  func otherEncodings() throws {
    for bytes in Self.otherEncodings(Self.configSeed) {
      #expect(throws: ModelFolderError.self) { try ModelConfig(bytes: bytes, path: "config.json") }
    }
    // The scan stops at the end of an unterminated string whatever the parser accepted.
    let config = try ModelConfig(bytes: Self.configSeed, path: "config.json")
    #expect(config.sizes == ["hidden_size": 8, "intermediate_size": 16])
  }

  @Test("random mutations of a config give a value or a typed error", arguments: [1, 2, 3] as [UInt64])
  func configMutations(seed: UInt64) {
    var generator = SeededGenerator(seed: seed)
    var parsed = 0
    for _ in 0 ..< 600 {
      let bytes = Self.mutated(Self.configSeed, using: &generator)
      do {
        let config = try ModelConfig(bytes: bytes, path: "config.json")
        parsed += 1
        // Every size found is the digits at its place, and rewriting it keeps the rest.
        for (key, value) in config.sizes {
          let replaced = config.replacing([key: value])
          #expect(replaced == bytes, "seed \(seed): \(key)")
        }
      } catch {
        #expect(!error.description.contains("\n"))
      }
    }
    #expect(parsed > 0)
  }

  @Test("random mutations of an index give a value or a typed error", arguments: [1, 2, 3] as [UInt64])
  func indexMutations(seed: UInt64) throws {
    var generator = SeededGenerator(seed: seed)
    var parsed = 0
    let candidates = (0 ..< 600).map { _ in Self.mutated(Self.indexSeed, using: &generator) }
    for bytes in candidates + Self.otherEncodings(Self.indexSeed) {
      do {
        let index = try ShardIndex(bytes: bytes, fileName: "i.json", path: "i.json")
        parsed += 1
        #expect(!index.weightMap.isEmpty)
        #expect(index.shardNames.allSatisfy { !$0.contains("/") && !$0.isEmpty })
        _ = try index.updated(totalSize: 1, totalParameters: 1)
      } catch {
        #expect(!error.description.contains("\n"))
      }
    }
    #expect(parsed > 0)
  }

  /// A two-shard folder whose `name` is replaced by `make(path)`.
  private func folder(replacing name: String, _ make: (String) throws -> Void) throws
    -> (TemporaryDirectory, ModelFolderError?)
  {
    let directory = try TemporaryDirectory()
    try ModelFolderFixture().writeFolder(directory.path, shards: 2)
    try FileManager.default.removeItem(atPath: directory.file(name))
    try make(directory.file(name))
    do {
      _ = try ModelFolder(path: directory.path)
      return (directory, nil)
    } catch {
      return (directory, error)
    }
  }

  @Test(
    "a config or index that is a device or a FIFO is refused, without reading or waiting",
    arguments: ["config.json", "model.safetensors.index.json"])
  func notRegularFiles(name: String) throws {
    let (_, zero) = try folder(replacing: name) { path in
      try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: "/dev/zero")
    }
    #expect(zero?.description.hasSuffix("\(name): not a regular file") == true, "\(String(describing: zero))")
    let (_, fifo) = try folder(replacing: name) { path in #expect(mkfifo(path, 0o600) == 0) }
    #expect(fifo?.description.hasSuffix("\(name): not a regular file") == true, "\(String(describing: fifo))")
  }

  @Test("a config above its size limit is refused")
  func sizeLimit() throws {
    let (_, error) = try folder(replacing: "config.json") { path in
      let padding = String(repeating: " ", count: ModelFolder.configSizeLimit)
      try Data(("{" + padding + "}").utf8).write(to: URL(fileURLWithPath: path))
    }
    #expect(error?.description.contains("larger than the 8 MiB") == true, "\(String(describing: error))")
  }

  @Test("an invalid config is kept as the file it is, its problem noted")
  func invalidConfigIsCarried() throws {
    let (directory, error) = try folder(replacing: "config.json") { path in
      try Data("{\"hidden_size\": ".utf8).write(to: URL(fileURLWithPath: path))
    }
    #expect(error == nil)
    let folder = try ModelFolder(path: directory.path)
    #expect(folder.config == nil)
    #expect(folder.otherEntries.contains("config.json"))
    #expect(folder.configProblem?.description.contains("not valid JSON") == true)
  }

  @Test("safetensors files the index does not name are left out, and named")
  func unnamedSafeTensors() throws {
    let directory = try TemporaryDirectory()
    try ModelFolderFixture().writeFolder(directory.path, shards: 2)
    let shard = directory.file(ModelFolderFixture.shardNames(2)[0])
    try FileManager.default.createDirectory(
      atPath: directory.file("original"), withIntermediateDirectories: true)
    for copy in ["consolidated.safetensors", "original/model.safetensors"] {
      try FileManager.default.copyItem(atPath: shard, toPath: directory.file(copy))
    }
    let folder = try ModelFolder(path: directory.path)
    #expect(folder.skippedEntries == ["consolidated.safetensors", "original/model.safetensors"])
    #expect(!folder.otherEntries.contains("consolidated.safetensors"))
  }

  @Test("an empty weight map is an error")
  func emptyWeightMap() throws {
    let (_, error) = try folder(replacing: "model.safetensors.index.json") { path in
      try Data(#"{"metadata": {}, "weight_map": {}}"#.utf8).write(to: URL(fileURLWithPath: path))
    }
    #expect(error?.description.contains("\"weight_map\" is empty") == true)
  }

  @Test("of several bad entries, an index error names the first by name, on every run")
  func deterministicIndexError() throws {
    var map = [String]()
    for letter in "qwertyuiopasdfghjklz" { map.append("\"\(letter)\": \"../\(letter).safetensors\"") }
    let text = "{\"weight_map\": {" + map.joined(separator: ",") + "}}"
    let error = #expect(throws: ModelFolderError.self) {
      try ShardIndex(bytes: Array(text.utf8), fileName: "i.json", path: "i.json")
    }
    #expect(error?.description.contains("tensor \"a\"") == true)
  }

  @Test("names equal only by Unicode normalisation are two tensors, in two shards or one lookup")
  func normalisation() throws {
    let directory = try TemporaryDirectory()
    let composed = "caf\u{E9}"
    let decomposed = "cafe\u{301}"
    var shards = [ShardedCheckpoint.Shard]()
    for (index, name) in [composed, decomposed].enumerated() {
      let path = directory.file("s\(index).safetensors")
      let header = "{" + entry(name, "U8", "[\(index + 1)]", "[0,\(index + 1)]") + "}"
      try Data(fileBytes(header: header, data: [1, 2])).prefix(8 + header.utf8.count + index + 1)
        .write(to: URL(fileURLWithPath: path))
      shards.append(ShardedCheckpoint.Shard(name: "s\(index)", file: try SafeTensorsFile(path: path)))
    }
    let checkpoint = try ShardedCheckpoint(shards)
    #expect(checkpoint.tensor(named: composed)?.shape == [1])
    #expect(checkpoint.tensor(named: decomposed)?.shape == [2])
    #expect(checkpoint.shard(of: try #require(checkpoint.tensor(named: decomposed))).name == "s1")
  }
}
