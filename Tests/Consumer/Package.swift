// swift-tools-version:6.2
import PackageDescription

// A downstream package that uses EventLoop the way an application does: through its products
// only (no @testable import, no internal module). CI builds it and runs its test.
let package = Package(
    name: "Consumer",
    dependencies: [
        .package(name: "EventLoop", path: "../.."),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .target(
            name: "ShoutServer",
            dependencies: [
                .product(name: "EventLoop", package: "EventLoop"),
                .product(name: "EventLoopServiceLifecycle", package: "EventLoop"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "ShoutServerTests",
            dependencies: [
                "ShoutServer",
                .product(name: "EventLoop", package: "EventLoop"),
                .product(name: "EventLoopTesting", package: "EventLoop"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
