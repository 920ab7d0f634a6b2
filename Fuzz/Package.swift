// swift-tools-version:6.0
// libFuzzer targets, kept out of the root package so its `swift build` and `swift test` never
// build them. Built and run by `Scripts/fuzz.sh`, which passes `--sanitize=fuzzer` (coverage
// instrumentation and libFuzzer's `main`); each executable defines `LLVMFuzzerTestOneInput`.
//
// Adding a target: a folder `Sources/Fuzz<Name>/` with one file defining
// `LLVMFuzzerTestOneInput`, an `.executableTarget` line below, and its name in the list at the
// top of `Scripts/fuzz.sh`.
import PackageDescription

let package = Package(
    name: "EventLoopFuzz",
    dependencies: [.package(name: "EventLoop", path: "..")],
    targets: [
        // `SocketAddress(_:)`: the parser of every address given on a command line or in a config.
        .executableTarget(name: "FuzzSocketAddress", dependencies: [.product(name: "EventLoop", package: "EventLoop")]),
        // The echo example's `LineFramer` (its source file is linked in, the example being an executable).
        .executableTarget(name: "FuzzLineFramer"),
        // The proxy example's config file and CIDR parsing (their source files are linked in).
        .executableTarget(name: "FuzzProxyConfig", dependencies: [.product(name: "EventLoop", package: "EventLoop")]),
        // `ProxyHeaderParser`: the PROXY protocol header (v1 and v2) every `--accept-proxy` client sends first.
        .executableTarget(name: "FuzzProxyHeader", dependencies: [.product(name: "EventLoop", package: "EventLoop")]),
    ],
    swiftLanguageModes: [.v6]
)
