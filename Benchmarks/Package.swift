// swift-tools-version:6.1
import PackageDescription

// Microbenchmarks for EventLoop, run with package-benchmark:
//   cd Benchmarks && swift package benchmark --target ExecutorHop
let package = Package(
    name: "EventLoopBenchmarks",
    dependencies: [
        .package(name: "EventLoop", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
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
    ],
    swiftLanguageModes: [.v6]
)
