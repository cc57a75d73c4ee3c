import Foundation

/// A file one step of `bonsai shards` writes for a later one (counts, a cut, a group's
/// channels, a pruned shard's record), marked with what it was computed from: which step
/// wrote it, and the fingerprint of the job (`ShardedRun.fingerprint`: the options that
/// decide the bits, and the input folder's shards and tensors). A step reads only files of
/// the kind it expects and of its own job, so that a cut made at 0.9 is not applied at 0.5,
/// and counts of another folder are not merged.
///
/// ```
/// {"step": "cut", "job": "5f0c…", "value": {"threshold": …}}
/// ```
struct StepFile<Value: Codable>: Codable {
  /// The step that wrote it: "counts", "cut", "channels" or "shard".
  let step: String
  /// The fingerprint of the job it belongs to.
  let job: String
  /// What the step computed.
  let value: Value

  /// Reads the step file at `path`, which `step` must have written for the job
  /// `fingerprint`; every problem is one line naming the file and, where there is one, the
  /// field.
  static func read(_ step: String, job fingerprint: String, from path: String)
    throws(CommandLineError) -> Value
  {
    let data: Data
    do {
      data = try Data(contentsOf: URL(fileURLWithPath: path))
    } catch {
      throw .failure("cannot read \(path): \((error as NSError).localizedDescription)")
    }
    // Which step and job first: a file of another kind fails there, not on its value.
    let mark: Mark
    let file: StepFile
    do {
      mark = try JSONDecoder().decode(Mark.self, from: data)
    } catch {
      throw .failure("\(path): \(Self.problem(error))")
    }
    guard mark.step == step else {
      throw .failure("\(path): written by step \"\(mark.step)\", where \"\(step)\" is read")
    }
    guard mark.job == fingerprint else {
      throw .failure(
        "\(path): computed for another job (other options, or another input folder): "
          + "run every step with the same folder and options")
    }
    do {
      file = try JSONDecoder().decode(StepFile.self, from: data)
    } catch {
      throw .failure("\(path): \(Self.problem(error))")
    }
    return file.value
  }

  /// The step and job of a step file, read before its value.
  private struct Mark: Decodable {
    let step: String
    let job: String
  }

  /// Writes `value` as the step file of `step` for the job `fingerprint` to `path`.
  static func write(_ value: Value, step: String, job fingerprint: String, to path: String)
    throws(CommandLineError)
  {
    try JSONOutput.write(StepFile(step: step, job: fingerprint, value: value), to: path)
  }

  /// A decoding error in one line: the field, then what is wrong with it.
  private static func problem(_ error: any Error) -> String {
    guard let error = error as? DecodingError else { return "\(error)" }
    let field = { (path: [any CodingKey]) in
      path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        .trimmingCharacters(in: CharacterSet(charactersIn: "."))
    }
    switch error {
    case .typeMismatch(let type, let context):
      return "field \(field(context.codingPath)): expected \(Self.name(of: type))"
    case .valueNotFound(let type, let context):
      return "field \(field(context.codingPath)): expected \(Self.name(of: type)), found null"
    case .keyNotFound(let key, let context):
      return "field \(field(context.codingPath + [key])) is missing"
    case .dataCorrupted(let context) where context.codingPath.isEmpty:
      return "not valid JSON"
    case .dataCorrupted(let context):
      return "field \(field(context.codingPath)): \(context.debugDescription)"
    @unknown default:
      return "\(error)"
    }
  }

  /// A JSON name for a decoded type.
  private static func name(of type: Any.Type) -> String {
    switch type {
    case is String.Type: "a string"
    case is Int.Type, is UInt32.Type: "an integer"
    case is [Any].Type: "an array"
    case is [String: Any].Type: "an object"
    default: "\(type)"
    }
  }
}
