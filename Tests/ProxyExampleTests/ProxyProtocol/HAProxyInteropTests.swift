import EventLoop
import EventLoopTesting
import Foundation
import Glibc
import Synchronization
import Testing
import TestSupport

/// HAProxy (`server … send-proxy` and `send-proxy-v2`) in front of the proxy with
/// `--accept-proxy`: the proxy logs the client's own address, which only HAProxy's header can
/// have told it. Skipped, with the reason printed, when `haproxy` is not installed.
@Suite struct HAProxyInteropTests {
    /// `haproxy` on the PATH, or nil.
    static let haproxy: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/sbin:/usr/bin:/sbin:/bin"
        return (path.split(separator: ":") + ["/usr/sbin", "/usr/local/sbin"])
            .map { "\($0)/haproxy" }
            .first { access($0, X_OK) == 0 }
    }()

    /// A loopback port that was free a moment ago (HAProxy cannot report the port it bound).
    static func freePort(group: ReactorGroup) async throws -> UInt16 {
        let listener = try await Listener.listen(.loopbackIPv4(), group: group)
        defer { listener.close() }
        return listener.address.port ?? 0
    }

    @Test(arguments: ["send-proxy", "send-proxy-v2"])
    func haproxyInFront(keyword: String) async throws {
        guard let haproxy = Self.haproxy else {
            print("HAProxyInteropTests skipped: haproxy is not installed")
            return
        }
        try await withReactorGroup(timeout: 60) { group in
            let upstream = try await TestUpstream.echo(group: group)
            defer { upstream.close() }
            let (proxy, port) = try await ExampleProcess.proxy(upstreams: [upstream.port], ["--accept-proxy", "--log-level", "debug"])
            let frontPort = try await Self.freePort(group: group)
            let config = """
                global
                    maxconn 100
                defaults
                    mode tcp
                    timeout connect 5s
                    timeout client 30s
                    timeout server 30s
                frontend front
                    bind 127.0.0.1:\(frontPort)
                    default_backend proxies
                backend proxies
                    server eventloop 127.0.0.1:\(port) \(keyword)
                """
            let path = "/tmp/eventloop-haproxy-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).cfg"
            // HAProxy refuses a file whose last line has no LF.
            try (config + "\n").write(toFile: path, atomically: true, encoding: .utf8)
            defer { unlink(path) }
            // -db: stay in the foreground; the config is checked first (-c would only check).
            let front = try ExampleProcess(name: "haproxy", path: haproxy, arguments: ["-db", "-f", path])
            defer { _ = front.isRunning ? front.send(SIGKILL) : () }
            // HAProxy is ready once its port accepts.
            let client = Mutex<TCPConn?>(nil)
            try await waitUntil(within: 10) {
                guard front.isRunning else { throw ExampleFailure("haproxy exited: \(front.printed)") }
                guard let conn = try? await Dialer().dial(.loopbackIPv4(port: frontPort), group: group) else { return false }
                client.withLock { $0 = conn }
                return true
            }
            let conn = try #require(client.withLock { $0 })
            defer { conn.close() }
            #expect(try await conn.exchange("through haproxy") == "through haproxy")
            let address = try #require(conn.localAddress)
            try await proxy.waitForOutput(containing: "pair opened client=\(address) ")
            conn.close()
            front.send(SIGTERM)
            _ = try? await front.waitForExit()
            #expect(try await proxy.stop() == 0)
        }
    }
}
