// libFuzzer target for the safetensors reader, compiled together with the module's sources
// by scripts/fuzz (so it is not part of the package build). For every input it checks that
// opening the file either throws a SafeTensorsError or yields a file whose every tensor can
// be read, written back with SafeTensorsWriter and read again to the same header and bytes.
// A crash, a hang, a sanitizer report or a failed round trip is a finding.

#if canImport(Glibc)
import Glibc
#endif

private let scratch = "/dev/shm/bonsai-fuzz-\(getpid())"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let input = scratch + ".in.safetensors"
  let output = scratch + ".out.safetensors"
  writeFile(input, UnsafeRawBufferPointer(start: data, count: size))
  guard let file = try? SafeTensorsFile(path: input) else { return 0 }
  let headers = file.tensors.map { TensorHeader(name: $0.name, dtype: $0.dtype, shape: $0.shape) }
  do {
    let writer = try SafeTensorsWriter(
      path: output, tensors: headers, metadata: file.hasMetadata ? file.metadata : nil)
    for tensor in file.tensors {
      try file.withBytes(of: tensor) { bytes throws(SafeTensorsError) in try writer.append(bytes) }
    }
    try writer.finish()
    let copy = try SafeTensorsFile(path: output)
    guard copy.tensors.map(\.name) == file.tensors.map(\.name),
      copy.metadata == file.metadata
    else { fatalError("round trip changed the header") }
    for (original, copied) in zip(file.tensors, copy.tensors) {
      let same = file.withBytes(of: original) { a in
        copy.withBytes(of: copied) { b in a.elementsEqual(b) }
      }
      if !same || original.dtype != copied.dtype || original.shape != copied.shape {
        fatalError("round trip changed tensor \(original.name)")
      }
    }
  } catch {
    fatalError("a file that opened could not be written back: \(error)")
  }
  return 0
}

private func writeFile(_ path: String, _ bytes: UnsafeRawBufferPointer) {
  let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
  precondition(fd >= 0, "cannot create \(path)")
  var offset = 0
  while offset < bytes.count {
    let written = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
    precondition(written > 0, "cannot write \(path)")
    offset += written
  }
  close(fd)
}
