// swift-tools-version:6.2
import PackageDescription

let package = Package(
    name: "EventLoop",
    products: [
        .library(name: "EventLoop", targets: ["EventLoop"]),
        .library(name: "EventLoopTesting", targets: ["EventLoopTesting"]),
        .library(name: "EventLoopServiceLifecycle", targets: ["EventLoopServiceLifecycle"]),
        .library(name: "EventLoopMetrics", targets: ["EventLoopMetrics"]),
        .library(name: "EventLoopTLS", targets: ["EventLoopTLS"]),
        .executable(name: "EchoExample", targets: ["EchoExample"]),
        .executable(name: "ProxyExample", targets: ["ProxyExample"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // `swift package generate-documentation` (the DocC catalogs in Sources/*/*.docc).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
        // ProxyExample's settings: JSON (default trait), YAML and the reloading file provider.
        .package(url: "https://github.com/apple/swift-configuration", from: "1.4.0", traits: [.defaults, "YAML", "Reloading"]),
        // The YAML parser swift-configuration's YAML trait uses; ProxyExample reads key lines with it.
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        .target(name: "CEventLoop"),
        .target(
            name: "EventLoop",
            dependencies: ["CEventLoop"],
            // The syscall fault-injection seam (System/FaultInjection.swift), for tests: debug only.
            swiftSettings: [.define("EVENTLOOP_FAULT_INJECTION", .when(configuration: .debug))]
        ),
        .target(name: "EventLoopTesting", dependencies: ["EventLoop"]),
        // swift-service-lifecycle's Service for reactor groups and servers: a separate target,
        // so the core keeps depending on Glibc only.
        .target(
            name: "EventLoopServiceLifecycle",
            dependencies: [
                "EventLoop",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The system's OpenSSL 3 (libssl-dev), for EventLoopTLS only: the core stays on Glibc.
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .target(name: "EventLoopTLS", dependencies: ["EventLoop", "COpenSSL"]),
        .target(
            name: "EventLoopMetrics",
            dependencies: ["EventLoop", .product(name: "CoreMetrics", package: "swift-metrics")]
        ),
        .target(
            name: "ExampleSupport",
            dependencies: [
                "EventLoop",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "EchoExample",
            dependencies: [
                "EventLoop",
                "EventLoopTLS",
                "EventLoopServiceLifecycle",
                "ExampleSupport",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                "EventLoopMetrics",
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .executableTarget(
            name: "ProxyExample",
            dependencies: [
                "EventLoop",
                "EventLoopServiceLifecycle",
                "ExampleSupport",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                "EventLoopMetrics",
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Yams", package: "Yams"),
                "EventLoopTLS",
            ]
        ),
        .target(name: "CMallocCounter", path: "Tests/CMallocCounter"),
        .testTarget(
            name: "EventLoopTests",
            dependencies: [
                "EventLoop", "EventLoopTesting", "CEventLoop", "CMallocCounter", "TestSupport",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        .target(name: "CTestSpawn", path: "Tests/CTestSpawn"),
        .target(name: "TestSupport", dependencies: ["EventLoop", "EventLoopTesting", "CTestSpawn"], path: "Tests/TestSupport"),
        .testTarget(name: "EchoExampleTests", dependencies: ["EchoExample", "EventLoop", "EventLoopTLS", "EventLoopTesting", "TestSupport"]),
        .testTarget(name: "ProxyExampleTests", dependencies: ["ProxyExample", "EventLoop", "EventLoopTLS", "EventLoopTesting", "TestSupport"]),
        .testTarget(name: "EventLoopTestingTests", dependencies: ["EventLoop", "EventLoopTesting"]),
        .testTarget(
            name: "EventLoopServiceLifecycleTests",
            dependencies: [
                "EventLoop", "EventLoopTesting", "EventLoopServiceLifecycle", "TestSupport",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "EventLoopMetricsTests",
            dependencies: [
                "EventLoop", "EventLoopMetrics", "EventLoopTesting",
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ]
        ),
        .testTarget(
            name: "EventLoopTLSTests",
            dependencies: ["EventLoopTLS", "EventLoop", "EventLoopTesting", "TestSupport"],
            exclude: ["Certificates"]
        ),
        .testTarget(name: "ReliabilityTests", dependencies: ["EchoExample", "EventLoop", "EventLoopTesting", "TestSupport"]),
        // Tests over real network conditions: the examples in two network namespaces joined by
        // a shaped link (Scripts/netlab.sh); they need CAP_NET_ADMIN and skip without it.
        .testTarget(name: "NetlabTests", dependencies: ["EchoExample", "ProxyExample", "EventLoopTesting", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
