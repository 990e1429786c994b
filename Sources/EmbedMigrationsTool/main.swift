import Foundation

// Writes a Swift file that holds each given SQL file's name and bytes (base64, so that no SQL
// text can end the literal): `EmbedMigrationsTool OUTPUT FILE...`.
let arguments = CommandLine.arguments.dropFirst()
guard let output = arguments.first else {
    FileHandle.standardError.write(Data("usage: EmbedMigrationsTool OUTPUT FILE...\n".utf8))
    exit(2)
}
var source = """
    // Generated at build time from the package's sql/ folder by the EmbedMigrations plugin.
    // Do not edit: edit sql/ instead.

    enum EmbeddedMigrations {
        /// File name and base64 of the bytes of every migration in sql/, in name order.
        static let files: [(name: String, base64: String)] = [

    """
for path in arguments.dropFirst() {
    let url = URL(fileURLWithPath: path)
    guard let data = FileManager.default.contents(atPath: path) else {
        FileHandle.standardError.write(Data("cannot read \(path)\n".utf8))
        exit(1)
    }
    source += "        (\"\(url.lastPathComponent)\", \"\(data.base64EncodedString())\"),\n"
}
source += "    ]\n}\n"
do {
    try Data(source.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
} catch {
    FileHandle.standardError.write(Data("cannot write \(output): \(error)\n".utf8))
    exit(1)
}
