import Foundation
import SafeTensors

/// The index of a sharded checkpoint, `model.safetensors.index.json`, as transformers writes
/// it:
///
/// ```
/// {"metadata": {"total_size": 16060522496, …}, "weight_map": {"lm_head.weight":
///  "model-00004-of-00004.safetensors", …}}
/// ```
///
/// Reading keeps the whole document, so that writing the index of a pruned folder changes
/// only the sizes (`metadata.total_size`, and `metadata.total_parameters` when present) and
/// keeps every other key.
public struct ShardIndex: Sendable {
  /// The index's file name inside its folder.
  public let fileName: String
  /// Which shard (a file name in the same folder) holds each tensor, by the name's bytes.
  public let weightMap: [TensorName: String]
  /// The document as read.
  private let bytes: [UInt8]

  /// Parses and checks an index.
  ///
  /// - Parameters:
  ///   - bytes: The file's content.
  ///   - fileName: Its name inside the folder; `path` is used in errors.
  /// - Throws: ``ModelFolderError/invalidIndex(path:problem:)`` for invalid JSON, a missing,
  ///   empty or mistyped `weight_map`, a `metadata` that is not an object, or a shard name that is
  ///   not a plain file name.
  public init(bytes: [UInt8], fileName: String, path: String) throws(ModelFolderError) {
    let document = try Self.document(bytes, path: path)
    guard let map = document["weight_map"] else {
      throw .invalidIndex(path: path, problem: "no \"weight_map\": it must map each tensor to its shard")
    }
    guard let strings = map as? [String: String] else {
      throw .invalidIndex(path: path, problem: "\"weight_map\" must be an object of tensor names to shard file names")
    }
    // Keyed by bytes, so that a shard's tensor is found only under its own bytes. (Foundation
    // already keeps one of two keys equal only by Unicode normalisation: the shard holding
    // the other is then refused as holding a tensor the index does not list.)
    let weightMap = Dictionary(strings.map { (TensorName($0.key), $0.value) }) { first, _ in first }
    if let metadata = document["metadata"], !(metadata is NSNull), !(metadata is [String: Any]) {
      throw .invalidIndex(path: path, problem: "\"metadata\" must be an object")
    }
    guard !weightMap.isEmpty else {
      throw .invalidIndex(path: path, problem: "\"weight_map\" is empty: it must map each tensor to its shard")
    }
    // In name order, so that the same index gives the same error on every run.
    let byName = weightMap.sorted { $0.key.string.utf8.lexicographicallyPrecedes($1.key.string.utf8) }
    for (tensor, shard) in byName
    where shard.isEmpty || shard.contains("/") || shard == "." || shard == ".." {
      throw .invalidIndex(
        path: path, problem: "tensor \"\(tensor)\" is mapped to \"\(shard)\", not a file name in the folder")
    }
    self.fileName = fileName
    self.weightMap = weightMap
    self.bytes = bytes
  }

  /// The shard file names, sorted (transformers numbers them, so that is their order).
  public var shardNames: [String] {
    Set(weightMap.values).sorted()
  }

  /// The index of the pruned folder: the same document with `metadata.total_size` set to
  /// `totalSize` (bytes of tensor data) and, when the index has it, `metadata.total_parameters`
  /// to `totalParameters`; keys sorted and indented as transformers writes them.
  ///
  /// - Throws: ``ModelFolderError/invalidIndex(path:problem:)`` if the document cannot be
  ///   written back (it parsed when read, so it can).
  public func updated(totalSize: Int, totalParameters: Int) throws(ModelFolderError) -> [UInt8] {
    var document = try Self.document(bytes, path: fileName)
    var metadata = document["metadata"] as? [String: Any] ?? [:]
    metadata["total_size"] = totalSize
    if metadata["total_parameters"] != nil { metadata["total_parameters"] = totalParameters }
    document["metadata"] = metadata
    do {
      let data = try JSONSerialization.data(
        withJSONObject: document, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
      return [UInt8](data) + [UInt8(ascii: "\n")]
    } catch {
      throw .invalidIndex(path: fileName, problem: "cannot be written back: \(JSONProblem.describe(error))")
    }
  }

  /// The JSON object in `bytes`.
  private static func document(_ bytes: [UInt8], path: String) throws(ModelFolderError) -> [String: Any] {
    let parsed: Any
    do {
      parsed = try JSONSerialization.jsonObject(with: Data(bytes))
    } catch {
      throw .invalidIndex(path: path, problem: "not valid JSON (\(JSONProblem.describe(error)))")
    }
    guard let object = parsed as? [String: Any] else {
      throw .invalidIndex(path: path, problem: "not a JSON object")
    }
    return object
  }
}

/// A JSON parse error in one line.
enum JSONProblem {
  /// Foundation's message, without the parts that span lines.
  static func describe(_ error: any Error) -> String {
    let nsError = error as NSError
    let detail = nsError.userInfo[NSDebugDescriptionErrorKey] as? String ?? nsError.localizedDescription
    return detail.split(separator: "\n").first.map(String.init) ?? "unreadable"
  }
}
