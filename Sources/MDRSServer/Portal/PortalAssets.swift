import Foundation
import MDRSCore
import NIOCore

/// The portal's files (HTML, CSS, ES modules), read once at start from the package's resources
/// (or from `portal.directory`), and served from memory: a fixed, small set, so no request can
/// name a path outside it.
struct PortalAssets: Sendable {
    struct Asset: Sendable {
        let bytes: ByteBuffer
        let contentType: String
    }

    /// By URL path: `/portal/app.js`, `/portal/views/doctor.js`, …
    let assets: [String: Asset]

    static let contentTypes = [
        "html": "text/html; charset=utf-8", "js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8",
        "svg": "image/svg+xml", "png": "image/png", "ico": "image/x-icon",
    ]

    /// The portal bundled with the binary.
    static func bundled() throws -> PortalAssets {
        // `Bundle.module` ends the process when its bundle is missing: look for it first, and
        // refuse with a message instead.
        let installed = Bundle.main.bundleURL.appendingPathComponent("mdrs-gateway_MDRSServer.resources")
        guard FileManager.default.fileExists(atPath: installed.path) else {
            throw GatewayError(
                .invalidConfiguration,
                "the portal's files are not installed next to the binary (\(installed.path)); set portal.directory, or portal.enabled = false")
        }
        // `.copy("Resources")` puts the folder in the bundle; where Foundation roots a bundle's
        // resources differs by platform, so look in both places.
        let bundle = Bundle.module
        let candidates = [bundle.bundleURL.appendingPathComponent("Resources/portal"), bundle.resourceURL?.appendingPathComponent("portal")]
        guard let base = candidates.compactMap({ $0 }).first(where: { FileManager.default.fileExists(atPath: $0.appendingPathComponent("index.html").path) }) else {
            throw GatewayError(
                .invalidConfiguration,
                "the portal's files are not installed next to the binary (\(bundle.bundleURL.path)); set portal.directory, or portal.enabled = false")
        }
        return try PortalAssets(directory: base)
    }

    init(directory: URL) throws {
        let root = directory.standardizedFileURL.resolvingSymlinksInPath()
        guard let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey]) else {
            throw GatewayError(.invalidConfiguration, "cannot read the portal's files in \(root.path)")
        }
        var assets = [String: Asset]()
        for case let file as URL in enumerator {
            let resolved = file.standardizedFileURL.resolvingSymlinksInPath()
            // Regular files of known types under the root only: nothing hidden, nothing that a
            // link takes outside.
            guard (try? file.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true,
                let contentType = Self.contentTypes[file.pathExtension.lowercased()],
                resolved.path.hasPrefix(root.path + "/"),
                !resolved.path.dropFirst(root.path.count).split(separator: "/").contains(where: { $0.hasPrefix(".") })
            else { continue }
            let relative = resolved.path.dropFirst(root.path.count)
            assets["/portal" + relative] = Asset(bytes: ByteBuffer(bytes: try Data(contentsOf: file)), contentType: contentType)
        }
        guard assets["/portal/index.html"] != nil else {
            throw GatewayError(.invalidConfiguration, "no index.html among the portal's files in \(root.path)")
        }
        self.assets = assets
    }
}
