// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "mdrs-gateway",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "EthereumCore", targets: ["EthereumCore"]),
        .library(name: "EthereumRPC", targets: ["EthereumRPC"]),
        .library(name: "MDRSProtocol", targets: ["MDRSProtocol"]),
        .library(name: "MDRSClient", targets: ["MDRSClient"]),
        .library(name: "MDRSServer", targets: ["MDRSServer"]),
        .executable(name: "mdrs", targets: ["mdrs"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/attaswift/BigInt.git", from: "6.0.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CSecp256k1",
            pkgConfig: "libsecp256k1",
            providers: [.apt(["libsecp256k1-dev"])]
        ),
        // Ethereum primitives, codecs, keys, transactions and EIP-712: no networking.
        .target(
            name: "EthereumCore",
            dependencies: [
                "CSecp256k1",
                .product(name: "BigInt", package: "BigInt"),
            ]
        ),
        // The PKCS#11 interface, as Debian's p11-kit header declares it; modules are dlopen'ed.
        // OpenSSL's libcrypto, for AES-GCM over NIO buffers without the copies swift-crypto's
        // Data-based API makes (a download opens every chunk of a record).
        .systemLibrary(
            name: "CLibCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        .systemLibrary(
            name: "CPKCS11",
            pkgConfig: "p11-kit-1",
            providers: [.apt(["libp11-kit-dev"])]
        ),
        // Keys in a hardware security module through PKCS#11: AES-GCM and CMAC with a secret key,
        // secp256k1 ECDSA with a signing key; neither ever leaves the token.
        .target(
            name: "PKCS11",
            dependencies: ["CPKCS11", "EthereumCore"]
        ),
        // JSON-RPC client, fee quotes and the transaction submitter.
        .target(
            name: "EthereumRPC",
            dependencies: [
                "EthereumCore",
                .product(name: "BigInt", package: "BigInt"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // The wire protocol: endpoints, request and response types, error codes and the EIP-712
        // requests. Shared by the server, the client, the CLI and the tests.
        .target(
            name: "MDRSProtocol",
            dependencies: [
                "EthereumCore",
                .product(name: "BigInt", package: "BigInt"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
        // The gateway's decisions and domain values, free of I/O: configuration, keys and
        // sealing, the access policy, refusal budgets, fee replacement, metrics.
        .target(
            name: "MDRSCore",
            dependencies: [
                "CLibCrypto",
                "EthereumCore",
                "MDRSProtocol",
                "PKCS11",
                .product(name: "BigInt", package: "BigInt"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // PostgreSQL: records, nonces, the outbox's rows, migrations (bundled) and the janitor.
        .target(
            name: "MDRSPostgres",
            dependencies: [
                "EthereumCore",
                "EthereumRPC",
                "MDRSCore",
                "MDRSProtocol",
                .product(name: "BigInt", package: "BigInt"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            // The migrations are compiled in from the top-level sql/ folder.
            plugins: ["EmbedMigrations"]
        ),
        .executableTarget(name: "EmbedMigrationsTool"),
        .plugin(name: "EmbedMigrations", capability: .buildTool(), dependencies: ["EmbedMigrationsTool"]),
        // The chain: typed contract bindings, the chain view and its watcher, the log reader, and
        // the consortium read through it (hospitals' gateways, their staff directories).
        .target(
            name: "MDRSChain",
            dependencies: [
                "EthereumCore",
                "EthereumRPC",
                "MDRSCore",
                "MDRSProtocol",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "BigInt", package: "BigInt"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The log writer: moves outbox rows to the chain.
        .target(
            name: "MDRSOutbox",
            dependencies: [
                "EthereumCore",
                "EthereumRPC",
                "MDRSChain",
                "MDRSCore",
                "MDRSPostgres",
                .product(name: "BigInt", package: "BigInt"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The audit index: this custodian's on-chain entries kept in PostgreSQL, and the
        // incremental consistency check.
        .target(
            name: "MDRSIndexer",
            dependencies: [
                "EthereumCore",
                "MDRSChain",
                "MDRSCore",
                "MDRSPostgres",
                "MDRSProtocol",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // HTTP: thin controllers, middleware, the portal's files and `buildApplication`.
        .target(
            name: "MDRSServer",
            dependencies: [
                "EthereumCore",
                "EthereumRPC",
                "MDRSChain",
                "MDRSCore",
                "MDRSIndexer",
                "MDRSOutbox",
                "MDRSPostgres",
                "MDRSProtocol",
                "PKCS11",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "BigInt", package: "BigInt"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("Resources")]
        ),
        // A client of the gateway's API, for the CLI and the tests.
        .target(
            name: "MDRSClient",
            dependencies: [
                "EthereumCore",
                "MDRSChain",
                "MDRSCore",
                "MDRSProtocol",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "BigInt", package: "BigInt"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "mdrs",
            dependencies: [
                "EthereumCore",
                "EthereumRPC",
                "MDRSChain",
                "MDRSClient",
                "MDRSCore",
                "MDRSPostgres",
                "MDRSProtocol",
                "MDRSServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "BigInt", package: "BigInt"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
        .testTarget(
            name: "EthereumTests",
            dependencies: [
                "EthereumCore",
                "EthereumRPC",
                .product(name: "BigInt", package: "BigInt"),
            ],
            resources: [.copy("Fixtures")]
        ),
        // Pure unit tests of the decisions: no PostgreSQL, no chain, no HTTP.
        .testTarget(
            name: "MDRSCoreTests",
            dependencies: [
                "EthereumCore",
                "MDRSCore",
                "MDRSProtocol",
                .product(name: "BigInt", package: "BigInt"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(
            name: "MDRSTests",
            dependencies: [
                "MDRSChain",
                "MDRSClient",
                "MDRSCore",
                "MDRSOutbox",
                "MDRSPostgres",
                "MDRSProtocol",
                "MDRSServer",
                "EthereumCore",
                "EthereumRPC",
                "PKCS11",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "BigInt", package: "BigInt"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
    ]
)
