import EventLoop
import EventLoopTesting
import TestSupport
import Testing

/// Bad input to the address and timeout APIs: a typed error, promptly, never a crash or a hang.
/// (Malformed address shapes are in BadAddressTests; this covers sizes, ranges and timeouts.)
@Suite struct BadInputTests {
    static func isInvalidAddress(_ error: NetError?, quoting text: String) -> Bool {
        guard let error, case .invalidAddress(let quoted) = error.code else { return false }
        return quoted == text
    }

    static let tenThousand = String(repeating: "a", count: 10_000)

    @Test(arguments: [
        "127.0.0.1:70000", "127.0.0.1:65536", "[::1]:65536", ":65536", "127.0.0.1:99999",
        "127.0.0.1:4294967297", "127.0.0.1:" + String(repeating: "9", count: 10_000),
        String(repeating: "1", count: 10_000) + ":80", "[" + String(repeating: "1", count: 10_000) + "]:80",
    ])
    func portOutOfRangeOrHugeTextIsInvalid(_ text: String) {
        let error = #expect(throws: NetError.self) { _ = try SocketAddress(text) }
        #expect(Self.isInvalidAddress(error, quoting: text))
        #expect(error?.operation == "parse")
    }

    /// A Unix path must fit `sun_path` (108 bytes with its NUL): 107 bytes is the most.
    @Test func unixPathLimits() throws {
        let longest = "/" + String(repeating: "p", count: 106)
        #expect(try SocketAddress("unix:" + longest).path == longest)
        for length in [108, 109, 10_000] {
            let path = "/" + String(repeating: "p", count: length - 1)
            let error = #expect(throws: NetError.self) { _ = try SocketAddress("unix:" + path) }
            #expect(error != nil, "a \(length)-byte path")
            #expect(throws: NetError.self) { _ = try SocketAddress(path) }
            #expect(throws: NetError.self) { _ = try SocketAddress.unix(path: path) }
        }
    }

    @Test(arguments: ["", "localhost:99999", "localhost:70000", "localhost:", ":99999",
                      String(repeating: "h", count: 10_000) + ":80"])
    func resolvingBadTextFailsWithoutALookup(_ text: String) async {
        let error = await #expect(throws: NetError.self) { _ = try await SocketAddress.resolve(text) }
        #expect(Self.isInvalidAddress(error, quoting: text), "\(String(describing: error))")
    }

    @Test func dialingBadTextFails() async throws {
        try await withReactorGroup { group in
            let reactor = group.reactors[0]
            for text in ["", "localhost:99999", "127.0.0.1:70000", "unix:/" + Self.tenThousand] {
                let error = await #expect(throws: NetError.self) { _ = try await Dialer().dial(text, on: reactor) }
                #expect(error != nil, "dial \"\(text.prefix(40))\"")
            }
            #expect(group.openSocketCount == 0)
        }
    }

    @Test func listeningOnBadTextFails() async throws {
        try await withReactorGroup { group in
            for text in ["", "127.0.0.1:70000", "[::1]:65536", "localhost:99999", Self.tenThousand + ":80",
                         "unix:/" + Self.tenThousand] {
                let error = await #expect(throws: NetError.self) { _ = try await Listener.listen(text, group: group) }
                #expect(error != nil, "listen \"\(text.prefix(40))\"")
            }
            #expect(group.openSocketCount == 0)
        }
    }

    /// A zero or negative dial timeout fails promptly with `.timeout` where the connect cannot
    /// finish at once (a peer that never answers), and never hangs where it can.
    @Test(arguments: [Duration.zero, .nanoseconds(-1), .seconds(-5), .seconds(Int64.min)])
    func zeroOrNegativeDialTimeoutDoesNotHang(_ timeout: Duration) async throws {
        try await withReactorGroup { group in
            let blackhole = try await Blackhole.make(group: group)
            defer { blackhole.close() }
            let error = await #expect(throws: NetError.self) {
                _ = try await Dialer(timeout: timeout).dial(blackhole.address, group: group)
            }
            #expect(error?.isTimeout == true)
            #expect(error?.operation == "connect")
            let byName = await #expect(throws: NetError.self) {
                _ = try await Dialer(timeout: timeout).dial(blackhole.address.description, on: group.reactors[0])
            }
            #expect(byName?.isTimeout == true)
            // To a listener that accepts: connected or timed out, either way at once.
            let listener = try await Listener.listen(.loopbackIPv4(), group: group)
            defer { listener.close() }
            do {
                let conn = try await Dialer(timeout: timeout).dial(listener.address, group: group)
                conn.close()
            } catch let error as NetError {
                #expect(error.isTimeout)
            }
        }
    }
}
