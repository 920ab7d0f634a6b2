import EventLoop
import EventLoopTLS
import EventLoopTesting
import Testing

/// The SNI peek: real ClientHellos, every prefix, other protocols, malformed input.
@Suite struct TLSClientHelloTests {
    /// A minimal ClientHello record with `extensions` (nil: none at all).
    static func hello(extensions: [UInt8]?) -> [UInt8] {
        var body: [UInt8] = [3, 3] + [UInt8](repeating: 1, count: 32) + [0] + [0, 2, 0x13, 0x01] + [1, 0]
        if let extensions { body += [UInt8(extensions.count >> 8), UInt8(extensions.count & 0xFF)] + extensions }
        let handshake: [UInt8] = [1, 0, UInt8(body.count >> 8), UInt8(body.count & 0xFF)] + body
        return [22, 3, 1, UInt8(handshake.count >> 8), UInt8(handshake.count & 0xFF)] + handshake
    }

    static func sni(_ name: String) -> [UInt8] {
        let bytes = Array(name.utf8)
        let entry: [UInt8] = [0, UInt8(bytes.count >> 8), UInt8(bytes.count & 0xFF)] + bytes
        let list: [UInt8] = [UInt8(entry.count >> 8), UInt8(entry.count & 0xFF)] + entry
        return [0, 0, UInt8(list.count >> 8), UInt8(list.count & 0xFF)] + list
    }

    @Test func readsTheNameOfARealClientHello() async throws {
        try await withReactorGroup { group in
            let hello = try await captureClientHello(group, serverName: "example.internal")
            #expect(TLSClientHello.serverName(in: hello) == .name("example.internal"))
            // Every proper prefix asks for more bytes.
            for length in 0..<hello.count {
                #expect(TLSClientHello.serverName(in: Array(hello[..<length])) == .needMoreBytes)
            }
        }
    }

    @Test func syntheticHellos() {
        let withName = Self.hello(extensions: [0xFF, 0x01, 0, 1, 0] + Self.sni("a.example"))
        #expect(TLSClientHello.serverName(in: withName) == .name("a.example"))
        #expect(TLSClientHello.serverName(in: Self.hello(extensions: nil)) == .noServerName)
        #expect(TLSClientHello.serverName(in: Self.hello(extensions: [0, 16, 0, 0])) == .noServerName)
        let peek = withName.withUnsafeBytes { TLSClientHello.peek($0) }
        if case .serverName(let range) = peek { #expect(range.count == 9) } else { Issue.record("no range: \(peek)") }
    }

    @Test func otherProtocolsAreNotTLS() {
        #expect(TLSClientHello.serverName(in: Array("GET / HTTP/1.1\r\n".utf8)) == .notTLS)
        #expect(TLSClientHello.serverName(in: [0x16, 0x02]) == .notTLS)
        #expect(TLSClientHello.serverName(in: [0x16, 0x03, 0x01, 0x00, 0x10, 0x02]) == .notTLS)  // not client_hello
        #expect(TLSClientHello.serverName(in: [0x16, 0x03, 0x01, 0xFF, 0xFF]) == .notTLS)  // record too long
        #expect(TLSClientHello.serverName(in: []) == .needMoreBytes)
        #expect(TLSClientHello.serverName(in: [0x16]) == .needMoreBytes)
    }

    @Test func malformedLengthsAreNotTLS() {
        var hello = Self.hello(extensions: Self.sni("x.example"))
        // An SNI name length running past its extension.
        let nameLengthIndex = hello.count - 9 - 2
        hello[nameLengthIndex + 1] = 200
        #expect(TLSClientHello.serverName(in: hello) == .notTLS)
        // Random bytes after a valid record header never crash and never claim a name.
        var generator = SplitMix(seed: 1)
        for _ in 0..<2000 {
            var bytes: [UInt8] = [22, 3, 1, 0, 60, 1]
            bytes += (0..<59).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            let result = TLSClientHello.serverName(in: bytes)
            #expect(result != .needMoreBytes)
        }
    }
}
