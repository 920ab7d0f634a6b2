import Foundation
import Glibc
import TestSupport
import Testing

/// What the netlab tests need from the system, and why they are skipped without it.
enum Tools {
    /// The package's root (this file is Tests/NetlabTests/Support/Tools.swift).
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static let netlabScript = packageRoot + "/Scripts/netlab.sh"

    static let ip = find("ip") ?? "/usr/sbin/ip"
    static let socat = find("socat") ?? "socat"

    /// The program `name` in PATH or the system folders, or nil.
    static func find(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let folders = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]
        return folders.map { "\($0)/\(name)" }.first { access($0, X_OK) == 0 }
    }

    /// True when this process has CAP_NET_ADMIN in its effective set (bit 12 of CapEff).
    static var hasNetAdmin: Bool {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("CapEff:") }),
              let mask = UInt64(line.split(separator: "\t").last ?? "", radix: 16) else { return false }
        return mask & (1 << 12) != 0
    }

    /// Why the netlab tests cannot run here, or nil when they can.
    static let unavailable: String? = {
        if !hasNetAdmin { return "needs CAP_NET_ADMIN (run as root) to create network namespaces" }
        for tool in ["ip", "socat", "sha256sum", "cc"] where find(tool) == nil {
            return "needs \(tool) in PATH"
        }
        if access("/dev/net/tun", F_OK) != 0 && getuid() != 0 { return "needs /dev/net/tun" }
        return nil
    }()

    /// True when the netlab tests can run; otherwise prints why not, once.
    static let available: Bool = {
        if let unavailable { print("netlab tests skipped: \(unavailable)") }
        return unavailable == nil
    }()

    /// True when both examples take `--tcp-keepalive` and `--tcp-user-timeout` (their `--help`
    /// names them); the vanishing-peer tests need them and are skipped without.
    static let examplesHaveDeadPeerFlags: Bool = {
        let found = ["EchoExample", "ProxyExample"].allSatisfy { name in
            let help = ExampleProcess.executable(name).path + " " + (name == "EchoExample" ? "serve --help" : "--help")
            guard let pipe = popen(help + " 2>&1", "r") else { return false }
            var bytes: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 4096)
            while case let count = fread(&chunk, 1, chunk.count, pipe), count > 0 { bytes += chunk[..<count] }
            pclose(pipe)
            let text = String(decoding: bytes, as: UTF8.self)
            return text.contains("--tcp-keepalive") && text.contains("--tcp-user-timeout")
        }
        if !found { print("netlab vanishing-peer tests skipped: the examples have no --tcp-keepalive/--tcp-user-timeout") }
        return found
    }()

    /// The reason as a test comment (for `.enabled(if:_:)`).
    static var skipReason: Comment { Comment(rawValue: unavailable ?? "") }

    /// Removes netlabs left behind by runs that ended without cleaning up (once per process).
    static func removeStale() async {
        _ = await staleRemoval.value
    }
    private static let staleRemoval = Task { () -> String in
        let printed = (try? await Netlab.script(["cleanup", Netlab.prefix])) ?? ""
        if !printed.isEmpty { print(printed) }
        return printed
    }
}
