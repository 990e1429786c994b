import Foundation

/// Reads secrets (keys, passwords) from files, refusing files that others can read: a secret in
/// a world-readable file is already leaked.
public enum SecretFile {
    /// The bytes of `path`, if only its owner can read or write it.
    public static func read(_ path: String) throws -> [UInt8] {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw GatewayError(.secretFileUnreadable, "cannot read secret file \(path): \(String(cString: strerror(errno)))")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw GatewayError(
                .secretFileTooOpen,
                "secret file \(path) has mode \(String(info.st_mode & 0o777, radix: 8)); allow only its owner (chmod 600)")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw GatewayError(.secretFileUnreadable, "cannot read secret file \(path)")
        }
        return [UInt8](data)
    }

    /// The trimmed text of `path`, under the same rule.
    public static func readText(_ path: String) throws -> String {
        String(decoding: try read(path), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Creates `path` with mode 0600 and writes `contents`; never overwrites.
    public static func create(_ path: String, contents: [UInt8]) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else {
            throw GatewayError(.secretFileUnreadable, "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        let written = contents.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
        guard written == contents.count, fsync(descriptor) == 0 else {
            throw GatewayError(.secretFileUnreadable, "cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }
}
