// swift-tools-version:6.0
// The library's floor for a TCP proxy: accept, dial the upstream on the client's reactor,
// relay both ways, close; no admission, metrics, registry or logging. Benchmarks/Scripts/
// proxy-new-conns.sh runs it beside the proxy example (PROXIES="... minimal") to separate what
// the library costs per connection from what the example's bookkeeping adds.
// Build: swift build -c release (binary: .build/release/MinimalProxy).
import PackageDescription

let package = Package(
    name: "MinimalProxy",
    dependencies: [
        .package(name: "EventLoop", path: "../.."),
    ],
    targets: [
        .executableTarget(
            name: "MinimalProxy",
            dependencies: [
                .product(name: "EventLoop", package: "EventLoop"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
