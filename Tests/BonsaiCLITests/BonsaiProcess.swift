import Foundation
import SafeTensors
import TestSupport

/// Runs the built `bonsai` binary, which sits next to the test bundle in the build folder.
enum BonsaiProcess {
  /// The binary: `BONSAI_BINARY`, or `bonsai` in the folder of the running test bundle.
  static var binary: String {
    ProcessInfo.processInfo.environment["BONSAI_BINARY"] ?? ChildProcess.builtExecutable("bonsai")
  }

  /// Runs `bonsai` (or `executable`) with `arguments` and waits for it.
  /// - Parameters:
  ///   - directory: The working directory (default: the test's).
  ///   - environment: The environment (default: the test's).
  static func run(
    _ arguments: [String], executable: String = binary, in directory: String? = nil,
    environment: [String: String]? = nil
  ) throws -> ChildProcess.Result {
    try ChildProcess.run(executable, arguments, in: directory, environment: environment)
  }

  /// Starts `bonsai` with `arguments`, kills it with SIGKILL after `seconds`, and waits
  /// for it: a run killed wherever it happens to be.
  static func runKilled(_ arguments: [String], after seconds: Double) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binary)
    process.arguments = arguments
    process.standardError = FileHandle.nullDevice
    try process.run()
    usleep(useconds_t(seconds * 1_000_000))
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
  }
}

/// Writes a checkpoint of F32 tensors (and optionally raw tensors of other dtypes).
func writeCheckpoint(
  _ path: String, floats: [(String, [Int], [Float])], raw: [(String, DType, [Int], [UInt8])] = [],
  metadata: [String: String]? = ["owner": "test"]
) throws {
  let headers = floats.map { TensorHeader(name: $0.0, dtype: .f32, shape: $0.1) }
    + raw.map { TensorHeader(name: $0.0, dtype: $0.1, shape: $0.2) }
  let writer = try SafeTensorsWriter(path: path, tensors: headers, metadata: metadata)
  for (_, _, values) in floats { try values.withUnsafeBytes { try writer.append($0) } }
  for (_, _, _, bytes) in raw { try bytes.withUnsafeBytes { try writer.append($0) } }
  try writer.finish()
}

/// The F32 values of tensor `name` in the checkpoint at `path`.
func readFloats(_ path: String, _ name: String) throws -> [Float] {
  let file = try SafeTensorsFile(path: path)
  guard let info = file.tensor(named: name) else { return [] }
  return file.withBytes(of: info) { bytes in
    (0 ..< info.elementCount).map { bytes.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) }
  }
}
