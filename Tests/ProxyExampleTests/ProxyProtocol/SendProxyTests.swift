import EventLoop
import EventLoopTesting
import Glibc
import Synchronization
import Testing
import TestSupport

/// `--send-proxy v1|v2`: the exact header bytes a raw upstream receives before the client's
/// first byte, and the proxy chained behind itself (`--send-proxy v2` into `--accept-proxy`).
@Suite struct SendProxyTests {
    /// A raw upstream that keeps everything each connection sent until it ended its stream.
    final class RecordingUpstream: Sendable {
        final class Streams: Sendable {
            let received = Mutex<[[UInt8]]>([])
        }

        let upstream: TestUpstream
        let streams = Streams()

        init(group: ReactorGroup) async throws {
            let streams = self.streams
            upstream = try await TestUpstream(group: group) { conn in
                defer { conn.close() }
                guard let all = try? await conn.readAll() else { return }
                streams.received.withLock { $0.append(all.readableBytesArray) }
            }
        }
    }

    static let signature: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A]

    static func be16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xff)] }

    /// Sends `bytes` through the proxy at `port`, ends the stream, waits for the proxy to close;
    /// returns the client's address.
    static func send(_ bytes: [UInt8], port: UInt16, group: ReactorGroup) async throws -> SocketAddress {
        let client = try await Dialer().dial(.loopbackIPv4(port: port), group: group)
        defer { client.close() }
        try await client.write(bytes)
        try await client.closeWrite()
        _ = try await client.readUntilClosed()
        return try #require(client.localAddress)
    }

    static func recorded(_ upstream: RecordingUpstream) async throws -> [UInt8] {
        try await waitUntil(within: 30) { upstream.streams.received.withLock { !$0.isEmpty } }
        return upstream.streams.received.withLock { $0[0] }
    }

    @Test(arguments: ["handler", "async"])
    func v1HeaderBytes(api: String) async throws {
        try await withReactorGroup(timeout: 60) { group in
            let upstream = try await RecordingUpstream(group: group)
            defer { upstream.upstream.close() }
            let (proxy, port) = try await ExampleProcess.proxy(upstreams: [upstream.upstream.port], ["--send-proxy", "v1", "--api", api])
            let client = try await Self.send(Array("hello".utf8), port: port, group: group)
            let expected = "PROXY TCP4 127.0.0.1 127.0.0.1 \(client.port ?? 0) \(port)\r\nhello"
            #expect(String(decoding: try await Self.recorded(upstream), as: UTF8.self) == expected)
            #expect(try await proxy.stop() == 0)
        }
    }

    @Test(arguments: ["handler", "async"])
    func v2HeaderBytes(api: String) async throws {
        try await withReactorGroup(timeout: 60) { group in
            let upstream = try await RecordingUpstream(group: group)
            defer { upstream.upstream.close() }
            let (proxy, port) = try await ExampleProcess.proxy(upstreams: [upstream.upstream.port], ["--send-proxy", "v2", "--api", api])
            let client = try await Self.send(Array("hello".utf8), port: port, group: group)
            let expected = Self.signature + [0x21, 0x11, 0x00, 0x0C, 127, 0, 0, 1, 127, 0, 0, 1]
                + Self.be16(client.port ?? 0) + Self.be16(port) + Array("hello".utf8)
            #expect(try await Self.recorded(upstream) == expected)
            #expect(try await proxy.stop() == 0)
        }
    }

    /// `--accept-proxy` with `--send-proxy`: the carried addresses are passed on, converted.
    @Test func carriedAddressIsPassedOn() async throws {
        try await withReactorGroup(timeout: 60) { group in
            let upstream = try await RecordingUpstream(group: group)
            defer { upstream.upstream.close() }
            let (proxy, port) = try await ExampleProcess.proxy(upstreams: [upstream.upstream.port], ["--accept-proxy", "--send-proxy", "v2"])
            _ = try await Self.send(Array("PROXY TCP4 203.0.113.9 192.0.2.1 5555 443\r\nhi".utf8), port: port, group: group)
            let expected = Self.signature + [0x21, 0x11, 0x00, 0x0C, 203, 0, 113, 9, 192, 0, 2, 1]
                + Self.be16(5555) + Self.be16(443) + Array("hi".utf8)
            #expect(try await Self.recorded(upstream) == expected)
            #expect(try await proxy.stop() == 0)
        }
    }

    /// Proxy A (`--send-proxy v2`) in front of proxy B (`--accept-proxy --max-conns-per-ip 1`):
    /// B logs and limits the original clients (127.0.0.2, 127.0.0.3), not A (127.0.0.1).
    @Test func chainedBehindItself() async throws {
        try await withReactorGroup(timeout: 60) { group in
            let upstream = try await TestUpstream.echo(group: group)
            defer { upstream.close() }
            let (second, secondPort) = try await ExampleProcess.proxy(upstreams: [upstream.port], [
                "--accept-proxy", "--max-conns-per-ip", "1", "--log-level", "debug",
            ])
            let (first, firstPort) = try await ExampleProcess.proxy(upstreams: [secondPort], ["--send-proxy", "v2"])
            var dialer = Dialer()
            dialer.localAddress = .ipv4(127, 0, 0, 2, port: 0)
            let held = try await dialer.dial(.loopbackIPv4(port: firstPort), group: group)
            defer { held.close() }
            #expect(try await held.exchange("one") == "one")
            let heldAddress = try #require(held.localAddress)
            try await second.waitForOutput(containing: "pair opened client=\(heldAddress) ")

            // A second connection from the same original client: refused by B's per-IP limit.
            let refused = try await dialer.dial(.loopbackIPv4(port: firstPort), group: group)
            defer { refused.close() }
            try? await refused.write(Array("two".utf8))
            let (answer, _) = (try? await refused.readUntilClosed()) ?? ("", true)
            #expect(answer.isEmpty)
            let refusedAddress = try #require(refused.localAddress)
            try await second.waitForOutput(containing: "client refused client=\(refusedAddress) reason=max_conns_per_ip")

            // Another original client is served although A's own address is the same for both.
            dialer.localAddress = .ipv4(127, 0, 0, 3, port: 0)
            let other = try await dialer.dial(.loopbackIPv4(port: firstPort), group: group)
            defer { other.close() }
            #expect(try await other.exchange("three") == "three")
            held.close()
            other.close()
            #expect(try await first.stop() == 0)
            #expect(try await second.stop() == 0)
        }
    }
}
