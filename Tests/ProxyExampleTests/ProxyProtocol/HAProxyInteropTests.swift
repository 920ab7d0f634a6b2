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

    /// A loopback port for HAProxy, which cannot report a port it chose (``freeLoopbackPort(group:)``).
    static func freePort(group: ReactorGroup) async throws -> UInt16 {
        try await freeLoopbackPort(group: group)
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
            // HAProxy is ready once a client gets through it (a connection that reaches its port
            // while it is still starting may be reset).
            let client = Mutex<TCPConn?>(nil)
            try await waitUntil(within: 30) {
                guard front.isRunning else { throw ExampleFailure("haproxy exited: \(front.printed)") }
                guard let conn = try? await Dialer().dial(.loopbackIPv4(port: frontPort), group: group) else { return false }
                guard (try? await conn.exchange("through haproxy")) == "through haproxy" else {
                    conn.close()
                    // Not the proxy's doing: it accepted every header HAProxy sent.
                    if proxy.printed.contains("PROXY header refused") { throw ExampleFailure("refused: \(proxy.printed)") }
                    return false
                }
                client.withLock { $0 = conn }
                return true
            }
            let conn = try #require(client.withLock { $0 })
            defer { conn.close() }
            let address = try #require(conn.localAddress)
            try await proxy.waitForOutput(containing: "pair opened client=\(address) ")
            conn.close()
            front.send(SIGTERM)
            _ = try? await front.waitForExit()
            #expect(try await proxy.stop() == 0)
        }
    }

    /// The proxy (`--send-proxy v1|v2`) in front of HAProxy (`bind … accept-proxy`), which
    /// serves only clients from 203.0.113.9: a client the proxy knows (by its own PROXY
    /// header) as 203.0.113.9 is served, one known as 203.0.113.10 is not.
    @Test(arguments: ["v1", "v2"])
    func haproxyBehind(version: String) async throws {
        guard let haproxy = Self.haproxy else {
            print("HAProxyInteropTests skipped: haproxy is not installed")
            return
        }
        try await withReactorGroup(timeout: 60) { group in
            let upstream = try await TestUpstream.echo(group: group)
            defer { upstream.close() }
            let backPort = try await Self.freePort(group: group)
            let config = """
                defaults
                    mode tcp
                    timeout connect 5s
                    timeout client 30s
                    timeout server 30s
                frontend back
                    bind 127.0.0.1:\(backPort) accept-proxy
                    tcp-request content reject unless { src 203.0.113.9 }
                    default_backend echo
                backend echo
                    server echo 127.0.0.1:\(upstream.port)
                """
            let path = "/tmp/eventloop-haproxy-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).cfg"
            try (config + "\n").write(toFile: path, atomically: true, encoding: .utf8)
            defer { unlink(path) }
            let back = try ExampleProcess(name: "haproxy", path: haproxy, arguments: ["-db", "-f", path])
            defer { _ = back.isRunning ? back.send(SIGKILL) : () }
            let (proxy, port) = try await ExampleProcess.proxy(upstreams: [backPort], ["--accept-proxy", "--send-proxy", version])
            try await waitUntil(within: 30) {
                guard back.isRunning else { throw ExampleFailure("haproxy exited: \(back.printed)") }
                guard let probe = try? await Dialer().dial(.loopbackIPv4(port: backPort), group: group) else { return false }
                probe.close()
                return true
            }
            func answer(from source: String) async throws -> String {
                let client = try await Dialer().dial(.loopbackIPv4(port: port), group: group)
                defer { client.close() }
                try await client.write(Array("PROXY TCP4 \(source) 192.0.2.1 4000 80\r\nhello".utf8))
                try await client.closeWrite()
                return (try? await client.readUntilClosed().text) ?? ""
            }
            #expect(try await answer(from: "203.0.113.9") == "hello")
            #expect(try await answer(from: "203.0.113.10") == "")
            back.send(SIGTERM)
            _ = try? await back.waitForExit()
            #expect(try await proxy.stop() == 0)
        }
    }
}
