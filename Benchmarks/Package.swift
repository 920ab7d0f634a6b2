// swift-tools-version:6.1
import PackageDescription

// Microbenchmarks for EventLoop, run with package-benchmark:
//   cd Benchmarks && swift package benchmark --target ExecutorHop
//   cd Benchmarks && swift package benchmark --target TimersVsNIO   (the timing wheel against SwiftNIO's scheduleTask heap)
let package = Package(
    name: "EventLoopBenchmarks",
    dependencies: [
        .package(name: "EventLoop", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        .executableTarget(
            name: "ExecutorHop",
            dependencies: [
                .product(name: "EventLoop", package: "EventLoop"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/ExecutorHop",
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark"),
            ]
        ),
        .executableTarget(
            name: "EchoAllocations",
            dependencies: [
                .product(name: "EventLoop", package: "EventLoop"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/EchoAllocations",
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark"),
            ]
        ),
        .target(name: "CHeapProbe", path: "Benchmarks/CHeapProbe"),
        .executableTarget(
            name: "TimersVsNIO",
            dependencies: [
                .product(name: "EventLoop", package: "EventLoop"),
                .product(name: "EventLoopTesting", package: "EventLoop"),
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                "CHeapProbe",
            ],
            path: "Benchmarks/TimersVsNIO",
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
