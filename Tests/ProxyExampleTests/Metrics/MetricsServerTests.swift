import EventLoop
import EventLoopTesting
import Logging
import Testing
@testable import ExampleSupport
@testable import ProxyExample

@Suite struct MetricsServerTests {
    static var quietLogger: Logger {
        var logger = Logger(label: "metrics-test")
        logger.logLevel = .critical
        return logger
    }

    /// Sends `request` and reads the reply to end of stream (or the error that ended it).
    static func exchange(_ request: [UInt8], with address: SocketAddress, group: ReactorGroup) async throws -> Result<String, any Error> {
        let conn = try await Dialer().dial(address, group: group)
        defer { conn.close() }
        do {
            try await conn.write(request)
            let reply = try await conn.readAll(limit: 1 << 20)
            return .success(String(decoding: reply.readableBytesArray, as: UTF8.self))
        } catch {
            return .failure(error)
        }
    }

    /// Starts a server with some traffic recorded, runs `body`, closes the server.
    static func withServer(_ body: @escaping @Sendable (MetricsServer, ReactorGroup) async throws -> Void) async throws {
        try await withReactorGroup(reactors: 2, timeout: 20) { group in
            let metrics = ProxyMetrics(upstreams: ["127.0.0.1:9"])
            metrics.connectionOpened()
            let server = try await MetricsServer.start(.loopbackIPv4(), group: group, metrics: metrics, logger: quietLogger)
            defer { server.close() }
            try await body(server, group)
        }
    }

    @Test func getMetricsAnswersTheExposition() async throws {
        try await Self.withServer { server, group in
            let reply = try await Self.exchange(Array("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n".utf8), with: server.address, group: group).get()
            #expect(reply.hasPrefix("HTTP/1.1 200 OK\r\n"))
            #expect(reply.contains("Content-Type: text/plain; version=0.0.4"))
            #expect(reply.contains("Connection: close\r\n"))
            #expect(reply.contains("\nproxy_connections_total 1\n"))
            let parts = reply.split(separator: "\r\n\r\n", maxSplits: 1)
            let length = parts[0].split(separator: "\r\n").first { $0.hasPrefix("Content-Length: ") }.map { Int($0.dropFirst(16)) }
            #expect(length == parts[1].utf8.count)
        }
    }

    @Test func queryAndBareLineFeedsAndHead() async throws {
        try await Self.withServer { server, group in
            let reply = try await Self.exchange(Array("GET /metrics?x=1 HTTP/1.0\n\n".utf8), with: server.address, group: group).get()
            #expect(reply.hasPrefix("HTTP/1.1 200 OK\r\n"))
            let head = try await Self.exchange(Array("HEAD /metrics HTTP/1.1\r\n\r\n".utf8), with: server.address, group: group).get()
            #expect(head.hasPrefix("HTTP/1.1 200 OK\r\n"))
            #expect(head.hasSuffix("\r\n\r\n"))
        }
    }

    @Test func otherPathIs404AndOtherMethodIs405() async throws {
        try await Self.withServer { server, group in
            let missing = try await Self.exchange(Array("GET / HTTP/1.1\r\n\r\n".utf8), with: server.address, group: group).get()
            #expect(missing.hasPrefix("HTTP/1.1 404 Not Found\r\n"))
            let post = try await Self.exchange(Array("POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n".utf8), with: server.address, group: group).get()
            #expect(post.hasPrefix("HTTP/1.1 405 Method Not Allowed\r\n"))
            #expect(post.contains("Allow: GET, HEAD\r\n"))
        }
    }

    @Test(arguments: [
        "garbage\r\n\r\n", "GET /metrics\r\n\r\n", "GET metrics HTTP/1.1\r\n\r\n", "GET /metrics HTTP/2.0\r\n\r\n",
        "GET  /metrics HTTP/1.1\r\n\r\n", "GET /metrics HTTP/1.1\r\nno colon here\r\n\r\n",
        "GET /metrics HTTP/1.1\r\n: empty name\r\n\r\n", "GET /met\u{0}rics HTTP/1.1\r\n\r\n", "\r\n\r\n",
    ])
    func garbageIs400(request: String) async throws {
        try await Self.withServer { server, group in
            let reply = try await Self.exchange(Array(request.utf8), with: server.address, group: group).get()
            #expect(reply.hasPrefix("HTTP/1.1 400 Bad Request\r\n"), "\(request.debugDescription) -> \(reply.debugDescription)")
        }
    }

    @Test func oversizeHeadIsClosed() async throws {
        try await Self.withServer { server, group in
            let request = Array("GET /metrics HTTP/1.1\r\nX-Pad: ".utf8) + Array(repeating: UInt8(ascii: "a"), count: 20_000)
            switch try await Self.exchange(request, with: server.address, group: group) {
            case .success(let reply):
                #expect(reply.isEmpty || reply.hasPrefix("HTTP/1.1 431 "), "\(reply.prefix(80))")
            case .failure(let error):
                // The server closed with our bytes unread: a reset is a close too.
                #expect(error is NetError, "\(error)")
            }
        }
    }

    @Test func peerThatLeavesEarlyIsDropped() async throws {
        try await Self.withServer { server, group in
            let conn = try await Dialer().dial(server.address, group: group)
            try await conn.write(Array("GET /metr".utf8))
            conn.close()
            // The server still answers the next client.
            let reply = try await Self.exchange(Array("GET /metrics HTTP/1.1\r\n\r\n".utf8), with: server.address, group: group).get()
            #expect(reply.hasPrefix("HTTP/1.1 200 OK\r\n"))
        }
    }

    @Test func headScannerFindsTheEndAcrossPieces() {
        var scanner = HTTPHeadScanner()
        var bytes: [UInt8] = []
        let head = Array("GET / HTTP/1.1\r\nA: b\r\n\r\nbody".utf8)
        var found: Int?
        for byte in head {
            bytes.append(byte)
            if let end = scanner.endOfHead(in: bytes) { found = end; break }
        }
        #expect(found == head.count - 4)
    }

    @Test func requestHeadParsing() {
        let head = HTTPRequestHead(Array("GET /metrics?a HTTP/1.1\r\nHost: x\r\n\r\n".utf8)[...])
        #expect(head?.method == "GET")
        #expect(head?.path == "/metrics")
        #expect(HTTPRequestHead(Array("get /x HTTP/1.1\r\n\r\n".utf8)[...])?.method == "get")
        #expect(HTTPRequestHead(Array("GET /x HTTP/1.1\r\n folded: x\r\n\r\n".utf8)[...]) == nil)
        #expect(HTTPRequestHead(Array("".utf8)[...]) == nil)
        #expect(HTTPRequestHead([0xFF, 0xFE, 0x0A, 0x0A][...]) == nil)
    }

    @Test func randomHeadsNeverTrap() {
        var state: UInt64 = 0xDEAD_BEEF
        let metrics = ProxyMetrics()
        let alphabet = Array("GET /metrics HTTP/1.1\r\n:\t \u{0}".utf8) + [0xFF, 0x7F]
        for _ in 0..<3000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let count = Int(state >> 56)
            var bytes: [UInt8] = []
            for _ in 0..<count {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                bytes.append(alphabet[Int(state >> 33) % alphabet.count])
            }
            var scanner = HTTPHeadScanner()
            let end = scanner.endOfHead(in: bytes) ?? bytes.count
            _ = MetricsResponse(for: HTTPRequestHead(bytes[..<end]), metrics: metrics)
        }
    }
}
