// swift-tools-version:6.0
// A SwiftNIO UDP echo server, the comparison peer of `EchoExample serve --udp-listen` in
// Benchmarks/Scripts/udp-vs-nio.sh. Build: swift build -c release (binary: .build/release/NIOUDPEcho).
import PackageDescription

let package = Package(
    name: "NIOUDPEcho",
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
    ],
    targets: [
        .executableTarget(
            name: "NIOUDPEcho",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
