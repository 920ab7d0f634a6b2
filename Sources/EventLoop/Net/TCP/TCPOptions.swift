/// Dead-peer detection for TCP connections, applied by ``Dialer`` (its ``Dialer/options``) to
/// dialled connections and by ``Listener`` (the `options` of `listen`) to accepted ones.
///
/// - ``keepAlive`` detects a dead peer on an *idle* connection: after ``KeepAlive/idle`` without
///   traffic the kernel sends a probe every ``KeepAlive/interval``; after ``KeepAlive/count``
///   unanswered probes it gives the connection up.
/// - ``userTimeout`` (TCP_USER_TIMEOUT) detects a peer that stops *acknowledging data we sent*:
///   once sent bytes stay unacknowledged that long, the kernel gives the connection up, instead
///   of retransmitting for the system's 15 minutes or so. It also bounds how long unanswered
///   keepalive probes may go on, when both are set.
///
/// A connection given up either way reports `ETIMEDOUT` (``NetError`` with the operation, e.g.
/// `read tcp 127.0.0.1:9000->127.0.0.1:52814: connection timed out`) to its pending reader and
/// writer, and its descriptor is closed at once (see ``Conn``). Unix sockets ignore these options.
/// The kernel does the probing: nothing runs per connection in the process.
public struct TCPOptions: Sendable, Hashable {
    /// Keepalive probing (SO_KEEPALIVE with TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT); nil
    /// leaves the socket's default (off).
    public var keepAlive: KeepAlive?
    /// TCP_USER_TIMEOUT: how long sent data may stay unacknowledged (whole milliseconds,
    /// 1 ms to about 24.8 days); nil leaves the system's retransmission limit.
    public var userTimeout: Duration?

    /// Options with the given parts (both off by default). Checked when applied: see ``validate()``.
    public init(keepAlive: KeepAlive? = nil, userTimeout: Duration? = nil) {
        self.keepAlive = keepAlive
        self.userTimeout = userTimeout
    }

    /// True when nothing is set (the socket keeps the system's defaults).
    public var isEmpty: Bool { keepAlive == nil && userTimeout == nil }

    /// Checks every value; ``Dialer`` and ``Listener`` call this before opening a socket.
    /// Throws ``NetError`` `.invalidOption` naming the option (`TCP_USER_TIMEOUT`,
    /// `TCP_KEEPIDLE`, …) and the allowed range. O(1).
    public func validate() throws(NetError) {
        if let keepAlive { try KeepAlive.check(idle: keepAlive.idle, interval: keepAlive.interval, count: keepAlive.count) }
        if let userTimeout { _ = try TCPOptions.milliseconds(userTimeout) }
    }

    /// The user timeout in whole milliseconds as the kernel takes it, or the error naming it.
    static func milliseconds(_ timeout: Duration) throws(NetError) -> Int32 {
        let (seconds, attoseconds) = timeout.components
        let total = Double(seconds) * 1000 + Double(attoseconds) / 1e15
        guard total >= 1, total <= Double(Int32.max) else {
            throw NetError.invalidOption("TCP_USER_TIMEOUT", "\(timeout) is not from 1 ms to \(Int32.max) ms")
        }
        return Int32(total)
    }

    /// The values the kernel is given: keepalive seconds and count, user timeout milliseconds
    /// (0: leave alone). Throws as ``validate()``.
    func kernelValues() throws(NetError) -> (keepAlive: (idle: Int32, interval: Int32, count: Int32)?, userTimeoutMilliseconds: Int32) {
        try validate()
        let keepAliveValues = keepAlive.map { ($0.idleSeconds, $0.intervalSeconds, Int32($0.count)) }
        return (keepAliveValues, try userTimeout.map(TCPOptions.milliseconds) ?? 0)
    }
}

/// Keepalive probing of an idle TCP connection: the first probe after ``idle`` without traffic,
/// then one every ``interval``; the connection is given up after ``count`` unanswered probes,
/// so a dead peer is noticed about `idle + count × interval` after the last traffic.
///
/// Durations are whole seconds as the kernel counts them (a fraction is dropped). A value
/// outside the kernel's range is refused when the value is made, with the option named.
public struct KeepAlive: Sendable, Hashable {
    /// Idle time before the first probe (TCP_KEEPIDLE): 1 s to 32767 s.
    public let idle: Duration
    /// Time between probes (TCP_KEEPINTVL): 1 s to 32767 s.
    public let interval: Duration
    /// Unanswered probes before the connection is given up (TCP_KEEPCNT): 1 to 127.
    public let count: Int

    /// Keepalive with these values. Throws ``NetError`` `.invalidOption` naming `TCP_KEEPIDLE`,
    /// `TCP_KEEPINTVL` or `TCP_KEEPCNT` and the allowed range when a value is out of range.
    public init(idle: Duration, interval: Duration, count: Int) throws(NetError) {
        try KeepAlive.check(idle: idle, interval: interval, count: count)
        self.idle = idle
        self.interval = interval
        self.count = count
    }

    var idleSeconds: Int32 { Int32(idle.components.seconds) }
    var intervalSeconds: Int32 { Int32(interval.components.seconds) }

    static let maximumSeconds: Int64 = 32767
    static let maximumCount = 127

    static func check(idle: Duration, interval: Duration, count: Int) throws(NetError) {
        guard (1...maximumSeconds).contains(idle.components.seconds) else {
            throw NetError.invalidOption("TCP_KEEPIDLE", "idle time \(idle) is not from 1 s to \(maximumSeconds) s")
        }
        guard (1...maximumSeconds).contains(interval.components.seconds) else {
            throw NetError.invalidOption("TCP_KEEPINTVL", "probe interval \(interval) is not from 1 s to \(maximumSeconds) s")
        }
        guard (1...maximumCount).contains(count) else {
            throw NetError.invalidOption("TCP_KEEPCNT", "probe count \(count) is not from 1 to \(maximumCount)")
        }
    }
}

extension NetError {
    /// A socket option's value out of range: operation `setsockopt`, the option and why.
    static func invalidOption(_ name: String, _ reason: String) -> NetError {
        NetError(.invalidOption(name: name, reason: reason), operation: "setsockopt")
    }
}
