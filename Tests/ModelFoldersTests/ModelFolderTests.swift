import Foundation
import ModelFolders
import SafeTensors
import TestSupport
import Testing

@Suite("Reading model folders")
struct ModelFolderTests {
  /// The error opening `path`, or nil.
  func openingError(_ path: String) -> ModelFolderError? {
    do {
      _ = try ModelFolder(path: path)
      return nil
    } catch {
      return error
    }
  }

  /// Writes `text` to `path`.
  func write(_ text: String, to path: String) throws {
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
  }

  @Test("a sharded folder: every shard read, in order; the other files listed for copying")
  func sharded() throws {
    let directory = try TemporaryDirectory()
    let fixture = ModelFolderFixture()
    try fixture.writeFolder(directory.path, shards: 3)
    let folder = try ModelFolder(path: directory.path)
    #expect(folder.checkpoint.shards.map(\.name) == ModelFolderFixture.shardNames(3))
    #expect(folder.checkpoint.tensors.map(\.name) == fixture.tensors.map(\.name))
    #expect(folder.index?.fileName == "model.safetensors.index.json")
    #expect(folder.otherEntries == [
      "1_Pooling", "config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
    ])
    #expect(folder.config?.sizes["intermediate_size"] == 16)
    let last = try #require(fixture.tensors.last)
    let info = try #require(folder.checkpoint.tensor(named: last.name))
    #expect(folder.checkpoint.shard(of: info).name == ModelFolderFixture.shardNames(3)[2])
    let values = folder.checkpoint.withBytes(of: info) { bytes in
      (0 ..< info.elementCount).map { bytes.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) }
    }
    #expect(values == last.values)
  }

  @Test("views of tensors from several shards at once, in the order asked")
  func viewsAcrossShards() throws {
    let directory = try TemporaryDirectory()
    let fixture = ModelFolderFixture()
    try fixture.writeFolder(directory.path, shards: 3)
    let checkpoint = try ModelFolder(path: directory.path).checkpoint
    let wanted = [fixture.tensors.last, fixture.tensors.first, fixture.tensors[12]].compactMap { $0 }
    let infos = wanted.compactMap { checkpoint.tensor(named: $0.name) }
    let firsts = checkpoint.withBytes(of: infos) { views in
      views.map { $0.loadUnaligned(fromByteOffset: 0, as: Float.self) }
    }
    #expect(firsts == wanted.map { $0.values[0] })
  }

  @Test("a folder with one model.safetensors has no index")
  func singleFile() throws {
    let directory = try TemporaryDirectory()
    try ModelFolderFixture().writeFolder(directory.path, shards: 1)
    let folder = try ModelFolder(path: directory.path)
    #expect(folder.index == nil)
    #expect(folder.checkpoint.shards.map(\.name) == ["model.safetensors"])
  }

  @Test("weights of other formats, at any depth, and a repository's .git are left out, and named")
  func skipped() throws {
    let directory = try TemporaryDirectory()
    try ModelFolderFixture().writeFolder(directory.path, shards: 2)
    try write("x", to: directory.file("pytorch_model.bin"))
    try write("x", to: directory.file("training_args.bin"))
    for folder in [".git", "original/deeper", "onnx"] {
      try FileManager.default.createDirectory(atPath: directory.file(folder), withIntermediateDirectories: true)
    }
    try write("x", to: directory.file("original/deeper/consolidated.00.pth"))
    try write("{}", to: directory.file("original/params.json"))
    try write("x", to: directory.file("onnx/model.onnx"))
    let folder = try ModelFolder(path: directory.path)
    #expect(folder.skippedEntries == [
      ".git", "onnx/model.onnx", "original/deeper/consolidated.00.pth", "pytorch_model.bin",
    ])
    #expect(folder.otherEntries.contains("training_args.bin"))
    #expect(folder.otherEntries.contains("original"))
  }

  @Test("a sub-folder whose link loops back is an error, not an endless walk")
  func linkLoop() throws {
    let directory = try TemporaryDirectory()
    try ModelFolderFixture().writeFolder(directory.path, shards: 2)
    try FileManager.default.createSymbolicLink(atPath: directory.file("1_Pooling/up"), withDestinationPath: "..")
    let error = try #require(openingError(directory.path))
    #expect(error.description.contains("loop"))
  }

  @Test("no safetensors weights: the files found are named, and how to convert")
  func noSafeTensors() throws {
    let directory = try TemporaryDirectory()
    try write("x", to: directory.file("pytorch_model.bin"))
    try write("x", to: directory.file("model.gguf"))
    try write("{}", to: directory.file("config.json"))
    let error = try #require(openingError(directory.path))
    #expect(error == .noSafeTensors(path: directory.path, found: ["model.gguf", "pytorch_model.bin"]))
    #expect(error.description.contains("safe_serialization=True"))
  }

  @Test("an index naming a missing shard")
  func missingShard() throws {
    let directory = try TemporaryDirectory()
    try ModelFolderFixture().writeFolder(directory.path, shards: 3)
    let shard = ModelFolderFixture.shardNames(3)[1]
    try FileManager.default.removeItem(atPath: directory.file(shard))
    let error = try #require(openingError(directory.path))
    guard case .missingShard(_, _, let named) = error else {
      Issue.record("expected a missing shard, got \(error)")
      return
    }
    #expect(named == shard)
    #expect(error.description.contains("does not exist"))
  }

  @Test("a tensor stored in two shards")
  func tensorInTwoShards() throws {
    let directory = try TemporaryDirectory()
    let fixture = ModelFolderFixture()
    try fixture.writeFolder(directory.path, shards: 2)
    let names = ModelFolderFixture.shardNames(2)
    // The second shard gains the first tensor of the first one.
    let second = try SafeTensorsFile(path: directory.file(names[1]))
    let order = [fixture.tensors[0].name] + second.tensors.map(\.name)
    try fixture.writeFile(directory.file(names[1]), order: order)
    let error = try #require(openingError(directory.path))
    #expect(error == .tensorInTwoShards(tensor: fixture.tensors[0].name, first: names[0], second: names[1]))
  }

  @Test("a shard holding a tensor the index does not list, or maps elsewhere")
  func unlistedTensor() throws {
    let directory = try TemporaryDirectory()
    let fixture = ModelFolderFixture()
    try fixture.writeFolder(directory.path, shards: 2)
    let indexPath = directory.file("model.safetensors.index.json")
    let index = try String(contentsOfFile: indexPath, encoding: .utf8)
    let name = try #require(fixture.tensors.last?.name)
    try write(index.replacingOccurrences(of: "\"\(name)\"", with: "\"renamed\""), to: indexPath)
    let error = try #require(openingError(directory.path))
    #expect(error.description.contains("holds tensor \"\(name)\""))
    #expect(error.description.contains("does not list it"))
  }

  @Test("an index that is not valid JSON, or has no weight_map", arguments: [
    ("{\"weight_map\": {", "not valid JSON"),
    ("{\"metadata\": {}}", "no \"weight_map\""),
    ("{\"weight_map\": {\"a\": 3}}", "\"weight_map\" must be an object"),
    ("{\"weight_map\": {\"a\": \"../x.safetensors\"}}", "not a file name in the folder"),
  ])
  func invalidIndex(text: String, message: String) throws {
    let directory = try TemporaryDirectory()
    try ModelFolderFixture().writeFolder(directory.path, shards: 2)
    try write(text, to: directory.file("model.safetensors.index.json"))
    let error = try #require(openingError(directory.path))
    guard case .invalidIndex = error else {
      Issue.record("expected an invalid index, got \(error)")
      return
    }
    #expect(error.description.contains(message))
    #expect(!error.description.contains("\n"))
  }

  @Test("several safetensors files and no index: ambiguous")
  func ambiguous() throws {
    let directory = try TemporaryDirectory()
    let fixture = ModelFolderFixture()
    try fixture.writeFile(directory.file("a.safetensors"))
    try fixture.writeFile(directory.file("b.safetensors"))
    #expect(openingError(directory.path) == .ambiguousWeights(
      path: directory.path, candidates: ["a.safetensors", "b.safetensors"]))
  }

  @Test("model.safetensors beside a sharded index: ambiguous, transformers would load it first")
  func unshardedBesideIndex() throws {
    let directory = try TemporaryDirectory()
    let fixture = ModelFolderFixture()
    try fixture.writeFolder(directory.path, shards: 2)
    try fixture.writeFile(directory.file("model.safetensors"))
    #expect(openingError(directory.path) == .ambiguousWeights(
      path: directory.path, candidates: ["model.safetensors", "model.safetensors.index.json"]))
  }

  @Test("the index written back: new total_size, weight_map and other keys kept")
  func indexUpdated() throws {
    let text = #"{"metadata": {"total_size": 10, "total_parameters": 3, "note": "x"}, "weight_map": {"a": "s.safetensors"}, "extra": [1]}"#
    let index = try ShardIndex(bytes: Array(text.utf8), fileName: "i.json", path: "i.json")
    let written = try index.updated(totalSize: 6, totalParameters: 2)
    let object = try #require(try JSONSerialization.jsonObject(with: Data(written)) as? [String: Any])
    let metadata = try #require(object["metadata"] as? [String: Any])
    #expect(metadata["total_size"] as? Int == 6)
    #expect(metadata["total_parameters"] as? Int == 2)
    #expect(metadata["note"] as? String == "x")
    #expect(object["weight_map"] as? [String: String] == ["a": "s.safetensors"])
    #expect(object["extra"] as? [Int] == [1])
  }
}
