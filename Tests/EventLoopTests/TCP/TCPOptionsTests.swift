import EventLoop
import EventLoopTesting
import Glibc
import Testing

/// Keepalive and user timeout (``TCPOptions``): applied to dialled and accepted sockets (read
/// back with getsockopt), and values out of range refused with the option named.
@Suite struct TCPOptionsTests {
    static func options() throws -> TCPOptions {
        TCPOptions(keepAlive: try KeepAlive(idle: .seconds(7), interval: .seconds(2), count: 5), userTimeout: .milliseconds(2500))
    }

    /// SO_KEEPALIVE, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT and TCP_USER_TIMEOUT of `conn`.
    static func readBack(_ conn: TCPConn) async throws -> [Int32] {
        [
            try await conn.option(.keepAlive), try await conn.option(.keepAliveIdle),
            try await conn.option(.keepAliveInterval), try await conn.option(.keepAliveCount),
            try await conn.option(.userTimeout),
        ]
    }

    @Test func appliedToDialledAndAcceptedSockets() async throws {
        try await withReactorGroup(reactors: 2) { group in
            let options = try Self.options()
            let listener = try await Listener.listen(.loopbackIPv4(), group: group, options: options)
            defer { listener.close() }
            var dialer = Dialer()
            dialer.options = options
            let client = try await dialer.dial(listener.address, group: group)
            defer { client.close() }
            let server = try await listener.accept()
            defer { server.close() }
            #expect(try await Self.readBack(client) == [1, 7, 2, 5, 2500])
            #expect(try await Self.readBack(server) == [1, 7, 2, 5, 2500])
        }
    }

    @Test func defaultsLeaveTheSocketsAlone() async throws {
        try await withReactorGroup { group in
            let pair = try await LoopbackPair.make(group: group)
            defer { pair.close() }
            #expect(try await pair.client.option(.keepAlive) == 0)
            #expect(try await pair.server.option(.keepAlive) == 0)
            #expect(try await pair.client.option(.userTimeout) == 0)
            #expect(try await pair.server.option(.userTimeout) == 0)
        }
    }

    @Test func userTimeoutAloneOnTheCallbackDial() async throws {
        try await withReactorGroup { group in
            let listener = try await Listener.listen(.loopbackIPv4(), group: group,
                                                     options: TCPOptions(userTimeout: .seconds(3)))
            defer { listener.close() }
            var dialer = Dialer()
            dialer.options = TCPOptions(keepAlive: try KeepAlive(idle: .seconds(1), interval: .seconds(1), count: 1))
            let reactor = group.reactors[0]
            let configured = dialer
            let client: TCPConn = try await withCheckedThrowingContinuation { continuation in
                reactor.execute {
                    configured.dial([listener.address], label: nil, on: reactor) { continuation.resume(with: $0) }
                }
            }
            defer { client.close() }
            let server = try await listener.accept()
            defer { server.close() }
            #expect(try await Self.readBack(client) == [1, 1, 1, 1, 0])
            #expect(try await server.option(.keepAlive) == 0)
            #expect(try await server.option(.userTimeout) == 3000)
        }
    }

    // MARK: validation

    static func invalidOption(_ error: NetError?) -> String? {
        guard let error, case .invalidOption(let name, _) = error.code else { return nil }
        return name
    }

    @Test(arguments: [
        (Duration.milliseconds(999), Duration.seconds(1), 3, "TCP_KEEPIDLE"),
        (.seconds(32768), .seconds(1), 3, "TCP_KEEPIDLE"),
        (.seconds(-5), .seconds(1), 3, "TCP_KEEPIDLE"),
        (.seconds(1), .zero, 3, "TCP_KEEPINTVL"),
        (.seconds(1), .seconds(40000), 3, "TCP_KEEPINTVL"),
        (.seconds(1), .seconds(1), 0, "TCP_KEEPCNT"),
        (.seconds(1), .seconds(1), 128, "TCP_KEEPCNT"),
    ])
    func keepAliveOutOfRangeNamesTheOption(idle: Duration, interval: Duration, count: Int, option: String) {
        let error = #expect(throws: NetError.self) { try KeepAlive(idle: idle, interval: interval, count: count) }
        #expect(Self.invalidOption(error) == option)
        #expect(error?.description.hasPrefix("setsockopt: invalid \(option): ") == true)
    }

    @Test func keepAliveLimitsAreAccepted() throws {
        _ = try KeepAlive(idle: .seconds(1), interval: .seconds(1), count: 1)
        _ = try KeepAlive(idle: .seconds(32767), interval: .seconds(32767), count: 127)
    }

    @Test(arguments: [Duration.zero, .microseconds(999), .seconds(-1), .seconds(Int64(Int32.max) / 1000 + 1)])
    func userTimeoutOutOfRangeNamesTheOption(timeout: Duration) {
        let error = #expect(throws: NetError.self) { try TCPOptions(userTimeout: timeout).validate() }
        #expect(Self.invalidOption(error) == "TCP_USER_TIMEOUT")
    }

    @Test func listenAndDialRefuseBadOptionsWithoutOpeningASocket() async throws {
        try await withReactorGroup { group in
            let bad = TCPOptions(userTimeout: .zero)
            let listenError = await #expect(throws: NetError.self) {
                _ = try await Listener.listen(.loopbackIPv4(), group: group, options: bad)
            }
            #expect(Self.invalidOption(listenError) == "TCP_USER_TIMEOUT")
            let listener = try await Listener.listen(.loopbackIPv4(), group: group)
            defer { listener.close() }
            var dialer = Dialer(timeout: .seconds(5), retry: RetryPolicy(attempts: 3, baseDelay: .milliseconds(1)))
            dialer.options = bad
            let dialError = await #expect(throws: NetError.self) { _ = try await dialer.dial(listener.address, group: group) }
            #expect(Self.invalidOption(dialError) == "TCP_USER_TIMEOUT")
        }
    }
}
