#if canImport(Glibc)
  import Glibc
#endif
import ModelFolders
import SafeTensors
import Testing

/// A full disk reads the same whichever module met it: "no space left on device".
@Suite("one wording for a full disk")
struct DiskFullWordingTests {
  @Test("folder and file errors say ENOSPC and EDQUOT alike, other codes with their number")
  func wording() {
    let folder = ModelFolderError.io(path: "out", action: "copy tokenizer.json", errno: ENOSPC)
    let file = SafeTensorsError.cannotWrite(path: "out/model.safetensors", errno: ENOSPC)
    #expect(folder.description == "out: cannot copy tokenizer.json: no space left on device")
    #expect(file.description.hasSuffix(": no space left on device"))
    #expect(!folder.description.contains("No space") && !file.description.contains("No space"))
    #expect(ModelFolderError.io(path: "o", action: "write", errno: EDQUOT).description.hasSuffix("disk quota exceeded"))
    #expect(ErrnoDescription.text(EACCES) == "Permission denied (errno \(EACCES))")
  }
}
