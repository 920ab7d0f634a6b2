import EventLoop
import EventLoopTesting
import Synchronization
import Testing
import TestSupport

/// ``TCPConn/readProxyHeader(timeout:maximumLength:)`` over loopback: only the header is
/// consumed, partial input waits, bad input and silence fail cleanly, nothing leaks.
@Suite struct ProxyHeaderReadTests {
    static let v1 = Array("PROXY TCP4 203.0.113.7 127.0.0.1 40000 80\r\n".utf8)
    static let v2 = ProxyHeaderEncoder.encode(ProxyHeader(version: .v2, source: try! SocketAddress("[2001:db8::7]:40000"),
                                                          destination: .loopbackIPv6(port: 80)))

    /// Accepts one connection, has a client send `chunks` (one write each, then end of stream),
    /// reads the header and then the rest of the stream.
    static func exchange(_ chunks: [[UInt8]], timeout: Duration = .seconds(10), maximumLength: Int = 4096,
                         group: ReactorGroup) async throws -> (Result<ProxyHeader, ProxyHeaderError>, rest: String) {
        let listener = try await Listener.listen(.loopbackIPv4(), group: group)
        defer { listener.close() }
        let client = try await Dialer().dial(.loopbackIPv4(port: listener.address.port ?? 0), group: group)
        defer { client.close() }
        let server = try await listener.accept()
        defer { server.close() }
        let writer = Task {
            for chunk in chunks {
                try await client.write(chunk)
                await Task.yield()
            }
            try await client.closeWrite()
        }
        let result: Result<ProxyHeader, ProxyHeaderError>
        do { result = .success(try await server.readProxyHeader(timeout: timeout, maximumLength: maximumLength)) } catch {
            result = .failure(error)
        }
        try? await writer.value
        guard case .success = result else { return (result, "") }
        let (rest, _) = try await server.readUntilClosed()
        return (result, rest)
    }

    @Test func headerAndDataInOneWriteLeavesTheDataUnread() async throws {
        try await withReactorGroup(timeout: 60) { group in
            for header in [Self.v1, Self.v2] {
                let (result, rest) = try await Self.exchange([header + Array("hello".utf8)], group: group)
                let parsed = try result.get()
                #expect(parsed.length == header.count)
                #expect(parsed.source?.port == 40000)
                #expect(rest == "hello")
            }
        }
    }

    @Test func oneByteAtATime() async throws {
        try await withReactorGroup(timeout: 100) { group in
            for header in [Self.v1, Self.v2] {
                // A generous header timeout: one write per byte, on a loaded machine.
                let (result, rest) = try await Self.exchange(header.map { [$0] } + [Array("data".utf8)], timeout: .seconds(40), group: group)
                #expect(try result.get().source?.port == 40000)
                #expect(rest == "data")
            }
        }
    }

    @Test func silenceTimesOut() async throws {
        try await withReactorGroup(timeout: 60) { group in
            let start = ContinuousClock.now
            let listener = try await Listener.listen(.loopbackIPv4(), group: group)
            defer { listener.close() }
            let client = try await Dialer().dial(.loopbackIPv4(port: listener.address.port ?? 0), group: group)
            defer { client.close() }
            let server = try await listener.accept()
            defer { server.close() }
            await #expect(throws: ProxyHeaderError.timedOut) { try await server.readProxyHeader(timeout: .milliseconds(200)) }
            #expect(secondsSince(start) < 20)
        }
    }

    @Test func badInputFails() async throws {
        try await withReactorGroup(timeout: 60) { group in
            let cases: [([[UInt8]], Int, ProxyHeaderError)] = [
                ([Array("GET / HTTP/1.0\r\n\r\n".utf8)], 4096, .missingSignature),
                ([Array("PROXY TCP4 1.2".utf8)], 4096, .endOfStream(received: 14)),
                ([Array("PROXY TCP4 1.2.3.4 5.6.7.8 1 99999\r\n".utf8)], 4096, .badPort),
                ([Array(repeating: UInt8(ascii: "P"), count: 1)] + [Array("ROXY ".utf8) + Array(repeating: UInt8(ascii: "x"), count: 200)], 4096, .lineTooLong),
                ([Array(Self.v2[..<14]) + [0x02, 0x58]], 536, .tooLong(length: 616, maximum: 536)),
                ([Array(Self.v2[..<13]) + [0x51]], 4096, .unsupportedFamily(0x51)),
                ([[]], 4096, .endOfStream(received: 0)),
            ]
            for (chunks, maximum, expected) in cases {
                let (result, _) = try await Self.exchange(chunks, maximumLength: maximum, group: group)
                #expect(result == .failure(expected))
            }
        }
    }

    /// The callback form, as a handler-level server uses it.
    @Test func handlerLevelCompletionRunsOnTheReactor() async throws {
        try await withReactorGroup(timeout: 60) { group in
            let listener = try await Listener.listen(.loopbackIPv4(), group: group)
            defer { listener.close() }
            let outcome = Mutex<Result<ProxyHeader, ProxyHeaderError>?>(nil)
            listener.serveConnections { conn in
                conn.readProxyHeader { result in
                    outcome.withLock { $0 = result }
                    conn.close()
                }
            }
            let client = try await Dialer().dial(.loopbackIPv4(port: listener.address.port ?? 0), group: group)
            defer { client.close() }
            try await client.write(Self.v1)
            let (rest, _) = try await client.readUntilClosed()
            #expect(rest.isEmpty)
            try await waitUntil(within: 30) { outcome.withLock { $0 } != nil }
            #expect(try outcome.withLock { $0 }?.get().source == .ipv4(203, 0, 113, 7, port: 40000))
        }
    }
}
