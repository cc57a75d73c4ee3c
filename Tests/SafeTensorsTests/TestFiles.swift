// Building, writing and reading raw files for the tests.

import Foundation
import SafeTensors
import TestSupport

/// Writes `bytes` to `path`, replacing it.
func writeRaw(_ bytes: [UInt8], to path: String) throws {
  try Data(bytes).write(to: URL(fileURLWithPath: path))
}

/// The whole content of the file at `path`.
func readRaw(_ path: String) throws -> [UInt8] {
  try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
}

/// Writes a whole file through `SafeTensorsWriter`, each tensor's bytes in one append.
func writeTensors(
  _ tensors: [(header: TensorHeader, bytes: [UInt8])], metadata: [String: String]?,
  to path: String
) throws(SafeTensorsError) {
  let writer = try SafeTensorsWriter(
    path: path, tensors: tensors.map(\.header),
    metadata: metadata)
  for (_, bytes) in tensors {
    try append(bytes, to: writer)
  }
  try writer.finish()
}

/// Appends `bytes` to `writer`.
func append(_ bytes: [UInt8], to writer: SafeTensorsWriter) throws(SafeTensorsError) {
  let result = bytes.withUnsafeBytes { buffer in
    Result { () throws(SafeTensorsError) in try writer.append(buffer) }
  }
  try result.get()
}

/// The bytes of `tensor` in `file`, copied out.
func bytes(of tensor: TensorInfo, in file: SafeTensorsFile) -> [UInt8] {
  file.withBytes(of: tensor) { Array($0) }
}

/// `count` random bytes.
func randomBytes(_ count: Int, using generator: inout SeededGenerator) -> [UInt8] {
  (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
}

/// Opens `path` and returns the error, or nil if it opened.
func openingError(_ path: String) -> SafeTensorsError? {
  do {
    _ = try SafeTensorsFile(path: path)
    return nil
  } catch {
    return error
  }
}
