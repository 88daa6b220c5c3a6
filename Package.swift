// swift-tools-version: 6.0
// IPFSAccelerate: content-addressed model hub, IPFS router and OpenAI-compatible model server.
// One target per layer; lower layers never import upper ones (see docs/architecture.md).
import PackageDescription
import Foundation

// Hot numeric kernels are C compiled with optimisation even in debug builds; they pick
// AVX2/FMA at run time through target attributes, so the binary still runs on baseline x86-64.
let kernelFlags: [CSetting] = [.unsafeFlags(["-O3", "-fno-math-errno"])]

let package = Package(
    name: "IPFSAccelerate",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "ipfs-accelerate", targets: ["ipfs-accelerate"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.4.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        // The hub's web pages: templates and Markdown model cards (Sources/Hub/Web).
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/JohnSundell/Ink", from: "0.6.0"),
    ],
    targets: [
        // MARK: support (below every layer that shares them)
        // Pure helpers with no HTTP: hex, git object hashing, lock box, semaphore, single-flight,
        // the hop to a dispatch thread, path and name rules.
        .target(name: "Primitives", dependencies: [
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // The process's outbound HTTP clients and one typed account of why a request failed on the
        // wire: for the backends (Kubo, IPFS Cluster) and the hub's fallback sources. No server.
        .target(name: "Outbound", dependencies: [
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        // What the HTTP faces share: JSON and Hugging Face error answers, header names.
        .target(name: "HTTPSupport", dependencies: [
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "Hummingbird", package: "hummingbird"),
        ]),

        // MARK: content addressing
        .target(name: "Multiformats", dependencies: [
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "BlockStore", dependencies: ["Multiformats"]),
        .target(name: "UnixFS", dependencies: ["Multiformats", "BlockStore"]),

        // MARK: backends
        .target(name: "IPFSRouter", dependencies: [
            "Multiformats", "BlockStore", "UnixFS", "Primitives", "Outbound",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "ModelStore", dependencies: ["IPFSRouter", "Primitives",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "KuboRPC", dependencies: [
            "BlockStore", "UnixFS", "IPFSRouter", "Primitives",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // MARK: git (smart HTTP protocol engine; the hub maps its repos onto it)
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "GitSmartHTTP", dependencies: ["CZlib", "Primitives", .product(name: "Crypto", package: "swift-crypto")]),

        // MARK: inference
        .target(name: "COpenBLAS", linkerSettings: [.linkedLibrary("dl")]),
        .target(name: "CKernels", cSettings: kernelFlags),
        .target(name: "Inference", dependencies: ["COpenBLAS", "CKernels"]),

        // MARK: hub
        .target(name: "HubDatabase", dependencies: [
            "Primitives",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "Hub", dependencies: [
            "HubDatabase", "Multiformats", "BlockStore", "UnixFS", "IPFSRouter", "GitSmartHTTP", "Primitives", "HTTPSupport",
            "Outbound",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Mustache", package: "swift-mustache"),
            .product(name: "Ink", package: "Ink"),
            .product(name: "CoreMetrics", package: "swift-metrics"),
        ]),

        // MARK: model server
        .target(name: "ModelServer", dependencies: [
            "Inference", "HubDatabase", "Multiformats", "BlockStore", "UnixFS", "Primitives", "HTTPSupport",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "CoreMetrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // Engine-only side of the model server's load benchmark (Benchmarks/modelserver/bench.py).
        .executableTarget(name: "modelserver-bench", dependencies: ["Inference", "ModelServer"],
                          path: "Benchmarks/modelserver/Sources"),

        // MARK: the command
        .executableTarget(name: "ipfs-accelerate", dependencies: [
            "Multiformats", "BlockStore", "UnixFS", "IPFSRouter", "ModelStore", "KuboRPC",
            "Inference", "HubDatabase", "Hub", "ModelServer",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // MARK: benchmarks (release builds, run by Benchmarks/*/run.sh)
        .executableTarget(name: "EmbeddingsBenchmark", dependencies: ["Inference"], path: "Benchmarks/embeddings/Sources"),

        // MARK: tests (swift-testing), one per layer
        .testTarget(name: "HTTPSupportTests", dependencies: ["HTTPSupport", "Outbound", "Primitives",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "NIOCore", package: "swift-nio"),
        ]),
        .testTarget(name: "MultiformatsTests", dependencies: ["Multiformats"]),
        .testTarget(name: "BlockStoreTests", dependencies: ["BlockStore", "Multiformats"]),
        .testTarget(name: "UnixFSTests", dependencies: ["UnixFS", "BlockStore", "Multiformats"]),
        .testTarget(name: "IPFSRouterTests", dependencies: ["IPFSRouter", "ModelStore", "KuboRPC", "BlockStore",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "InferenceTests", dependencies: ["Inference", "CKernels"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "GitSmartHTTPTests", dependencies: ["GitSmartHTTP"]),
        // GRDB in HubTests and ModelServerTests writes databases the way releases before migrations 4 and 5 did.
        .testTarget(name: "HubTests", dependencies: ["Hub", "HubDatabase", "UnixFS", "BlockStore", "Multiformats",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .testTarget(name: "ModelServerTests", dependencies: ["ModelServer", "Inference", "HubDatabase",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
    ],
    swiftLanguageModes: [.v6]
)

// MARK: fuzzing (scripts/fuzz; docs/reliability.md)
// libFuzzer targets, one per parser that takes outside bytes. They join the package only when
// IPFS_ACCELERATE_FUZZ is set, so ordinary builds, tests and CI never see them; being in this
// package lets them reach `package` entry points. Build them only with
// `-Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library` (libFuzzer supplies `main`).
if ProcessInfo.processInfo.environment["IPFS_ACCELERATE_FUZZ"] != nil {
    let fuzzTargets: [(String, [Target.Dependency])] = [
        ("FuzzMultiformats", ["Multiformats"]),
        ("FuzzDagPB", ["UnixFS", "Multiformats"]),
        ("FuzzCAR", ["UnixFS", "BlockStore", "Multiformats"]),
        ("FuzzGGUF", ["Inference"]),
        ("FuzzSafeTensors", ["Inference"]),
        ("FuzzTokenizerJSON", ["Inference"]),
        ("FuzzChatTemplate", ["Inference"]),
        ("FuzzKuboMultipart", ["KuboRPC"]),
        ("FuzzCommitStream", ["Hub", "BlockStore"]),
        ("FuzzLFSBatch", ["Hub"]),
        ("FuzzRange", ["Hub"]),
        ("FuzzOpenAIRequest", ["ModelServer"]),
    ]
    package.targets.append(.target(name: "FuzzSupport", path: "Fuzz/Sources/FuzzSupport"))
    for (name, deps) in fuzzTargets {
        package.targets.append(.executableTarget(name: name, dependencies: deps + ["FuzzSupport"], path: "Fuzz/Sources/\(name)"))
    }
}
