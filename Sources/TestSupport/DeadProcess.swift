import Foundation

/// The id of a process that has run and exited: it stands for a killed writer, whose
/// temporary files count as leftovers. (The id could be reused by a new process in the
/// meantime; that only makes a leftover look alive, which keeps it.)
public func deadProcessID() throws -> Int32 {
  let finished = Process()
  finished.executableURL = URL(fileURLWithPath: "/bin/true")
  try finished.run()
  finished.waitUntilExit()
  return finished.processIdentifier
}
