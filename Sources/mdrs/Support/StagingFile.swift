import ArgumentParser
import Foundation

/// A new file only its owner can read, next to where the data is going, that becomes the
/// destination only once the data is verified.
struct StagingFile {
    let path: String

    init(besides destination: String) throws {
        path = destination + ".partial-\(UUID().uuidString.prefix(8))"
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else {
            throw ValidationError("cannot create \(path): \(String(cString: strerror(errno)))")
        }
        close(descriptor)
    }

    /// Moves the file to `destination` (refusing to replace an existing file), or copies it to
    /// standard output for `-`.
    func deliver(to destination: String) throws {
        if destination == "-" {
            guard let handle = FileHandle(forReadingAtPath: path) else { throw ValidationError("cannot read \(path)") }
            defer { try? handle.close() }
            while let data = try handle.read(upToCount: 1 << 20), !data.isEmpty {
                FileHandle.standardOutput.write(data)
            }
            return
        }
        guard link(path, destination) == 0 else {
            throw ValidationError("cannot write \(destination): \(String(cString: strerror(errno)))")
        }
    }

    func remove() {
        unlink(path)
    }
}
