import Glibc

/// Opens outgoing stream connections (TCP or Unix) with a non-blocking connect.
///
/// - A `timeout` bounds each dial try: name resolution and every connect attempt of it. A
///   lookup still unanswered at the deadline is abandoned (`.timeout`, operation `lookup`);
///   lookups run on the library's resolver threads, never on a reactor thread.
/// - When a name resolves to several addresses they are tried in the manner of RFC 8305:
///   IPv6 and IPv4 interleaved, the next attempt started when the previous one failed or has
///   not finished after `fallbackDelay`; the first to connect wins and the others are closed.
/// - A `retry` policy repeats a try whose every attempt failed to connect, with backoff.
/// - The error of a failed dial lists each attempt and why it failed. Cancelling the dialing
///   task aborts every attempt and closes every descriptor.
///
/// A value type: configure once, share freely (`Sendable`), dial from any task.
public struct Dialer: Sendable {
    /// TCP_NODELAY on the new connection (default on: small writes go out at once).
    public var noDelay = true
    /// Keepalive and user timeout of the new connection (default: neither; ignored for Unix
    /// paths). A value out of range fails the dial with `.invalidOption` before any socket is
    /// opened (see ``TCPOptions/validate()``).
    public var options = TCPOptions()
    /// Bind to this local address before connecting (for example a source IP); nil lets the kernel choose.
    public var localAddress: SocketAddress?
    /// The longest one dial try may take; nil waits for the kernel (which gives up after minutes).
    public var timeout: Duration?
    /// How long an attempt may run before the next address is tried alongside (RFC 8305: 250 ms).
    public var fallbackDelay: Duration = .milliseconds(250)
    /// Retries of a try whose every attempt failed to connect.
    public var retry: RetryPolicy = .none

    /// A dialer with the defaults above.
    public init(timeout: Duration? = nil, retry: RetryPolicy = .none) {
        self.timeout = timeout
        self.retry = retry
    }

    /// Connects to `address` on `reactor` and returns the connection, which lives on that reactor.
    ///
    /// Throws ``NetError`` (`connect`, the address, the errno, e.g. ECONNREFUSED, or `.timeout`),
    /// or `CancellationError` when the task is cancelled; no descriptor is left open either way.
    public nonisolated(nonsending) func dial(_ address: SocketAddress, on reactor: Reactor) async throws -> TCPConn {
        if retry.attempts == 1 {
            // The common case, without the machinery: no array, no task group; the timeout is
            // a deadline on the connect's wait.
            return try await connect(address, label: nil, timeout: timeout, on: reactor)
        }
        return try await dial([address], label: address.description, on: reactor)
    }

    /// Connects to a reactor of `group` (round-robin).
    public func dial(_ address: SocketAddress, group: ReactorGroup) async throws -> TCPConn {
        try await dial(address, on: group.next())
    }

    /// Resolves `text` (`host:port`, `[v6]:port`, `unix:/path`), off the reactor threads, and
    /// connects to the first address that accepts (see the type's rules).
    ///
    /// The `timeout` covers the lookup and the connects together. Throws ``NetError``
    /// (`.timeout` with operation `lookup` when the name was not resolved in time, `connect`
    /// when no connect finished in time, both naming `text`; `.resolution`, `.invalidAddress`,
    /// or a connect's errno), or `CancellationError`; no descriptor is left open either way.
    public func dial(_ text: String, on reactor: Reactor) async throws -> TCPConn {
        try await dial(text, on: reactor, resolver: .shared)
    }

    /// The dial of `text` above, with the lookups of `resolver`.
    func dial(_ text: String, on reactor: Reactor, resolver: Resolver) async throws -> TCPConn {
        try await withRetries(label: text) {
            let deadline = timeout.map { reactor.now + $0 }
            let addresses = try await lookUp(text, until: deadline, on: reactor, resolver: resolver)
            return try await withTryTimeout(until: deadline, operation: "connect", label: text, on: reactor,
                                            discarding: { $0.close() }) {
                try await race(Dialer.interleaved(addresses), label: text, on: reactor)
            }
        }
    }

    /// The addresses of `text`: at once for a numeric address, else from `resolver`, abandoned
    /// at `deadline` (`.timeout`, operation `lookup`) or when the task is cancelled.
    private func lookUp(_ text: String, until deadline: Deadline?, on reactor: Reactor,
                        resolver: Resolver) async throws -> [SocketAddress] {
        if let numeric = try? SocketAddress(text) { return [numeric] }
        return try await withTryTimeout(until: deadline, operation: "lookup", label: text, on: reactor,
                                        discarding: { _ in }) {
            try await SocketAddress.resolve(text, using: resolver)
        }
    }

    /// Connects to the first of `addresses` that accepts, in order, with the fallback rules.
    public nonisolated(nonsending) func dial(_ addresses: [SocketAddress], label: String? = nil, on reactor: Reactor) async throws -> TCPConn {
        precondition(!addresses.isEmpty, "dial needs at least one address")
        if addresses.count == 1 && retry.attempts == 1 {
            return try await connect(addresses[0], label: label, timeout: timeout, on: reactor)
        }
        return try await dialWithFallback(addresses, label: label, on: reactor)
    }

    /// Several addresses or retries: staggered attempts, the try's timeout and retries. Kept out
    /// of line so that the single-address path's suspended frame stays small.
    @inline(never)
    private func dialWithFallback(_ addresses: [SocketAddress], label: String?, on reactor: Reactor) async throws -> TCPConn {
        let label = label ?? addresses.map(\.description).joined(separator: ",")
        return try await withRetries(label: label) {
            try await withTryTimeout(until: timeout.map { reactor.now + $0 }, operation: "connect", label: label,
                                     on: reactor, discarding: { $0.close() }) {
                try await race(addresses, label: label, on: reactor)
            }
        }
    }

    // MARK: retries and timeout

    private func withRetries(label: String, _ body: () async throws -> TCPConn) async throws -> TCPConn {
        var failures: [NetError] = []
        for attempt in 1...retry.attempts {
            do {
                return try await body()
            } catch let error as NetError where error.isConnectFailure {
                failures.append(contentsOf: error.code == .dialFailed ? error.underlying : [error])
                if attempt == retry.attempts { break }
                try await Task.sleep(for: retry.delay(beforeRetry: attempt))
            }
        }
        if failures.count == 1 { throw failures[0] }
        throw NetError(.dialFailed, operation: "dial", address: label, underlying: failures)
    }

    /// Runs `body` until `deadline` (on `reactor`'s clock; nil: no limit). At the deadline the
    /// body is cancelled, a result it still delivers is handed to `discard` (a connection is
    /// closed), and `.timeout` naming `operation` and `label` is thrown. The body must end
    /// promptly when cancelled (connects and lookups do), as the group waits for it.
    private func withTryTimeout<T: Sendable>(until deadline: Deadline?, operation: String, label: String, on reactor: Reactor,
                                             discarding discard: @escaping (T) -> Void,
                                             _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        guard let deadline else { return try await body() }
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await reactor.sleep(until: deadline)
                return nil
            }
            defer { group.cancelAll() }
            while let outcome = try await group.next() {
                if let value = outcome { return value }
                // The timeout won: cancelling the body closes its sockets, abandons its lookup.
                group.cancelAll()
                while let late = try? await group.next() { late.map(discard) }
                throw NetError(.timeout, operation: operation, address: label)
            }
            throw NetError(.timeout, operation: operation, address: label)
        }
    }

    // MARK: staggered attempts

    private enum Outcome: Sendable {
        case connected(TCPConn)
        case failed(NetError)
        case nextAttemptDue
    }

    /// Starts attempt 0, then each next attempt when the previous failed or after
    /// `fallbackDelay`; returns the first connection and closes any other that connects.
    private func race(_ addresses: [SocketAddress], label: String, on reactor: Reactor) async throws -> TCPConn {
        if addresses.count == 1 { return try await connect(addresses[0], on: reactor) }
        return try await withThrowingTaskGroup(of: Outcome.self) { group in
            var next = 0
            var running = 0
            var failures: [NetError] = []
            func startNext() {
                let address = addresses[next]
                next += 1
                running += 1
                group.addTask {
                    do {
                        return .connected(try await connect(address, on: reactor))
                    } catch let error as NetError {
                        return .failed(error)
                    }
                }
                if next < addresses.count {
                    group.addTask {
                        try await reactor.sleep(for: fallbackDelay)
                        return .nextAttemptDue
                    }
                }
            }
            startNext()
            while let outcome = try await group.next() {
                switch outcome {
                case .connected(let conn):
                    group.cancelAll()
                    while let late = try? await group.next() {
                        if case .connected(let other) = late { other.close() }
                    }
                    return conn
                case .failed(let error):
                    failures.append(error)
                    running -= 1
                    if next < addresses.count && running == 0 { startNext() }
                case .nextAttemptDue:
                    if next < addresses.count { startNext() }
                }
                if running == 0 && next == addresses.count { break }
            }
            group.cancelAll()
            if failures.count == 1 { throw failures[0] }
            throw NetError(.dialFailed, operation: "dial", address: label, underlying: failures)
        }
    }

    /// RFC 8305 order: alternate address families, starting with the first one's.
    static func interleaved(_ addresses: [SocketAddress]) -> [SocketAddress] {
        guard let first = addresses.first else { return [] }
        var preferred = addresses.filter { $0.family == first.family }
        var other = addresses.filter { $0.family != first.family }
        var result: [SocketAddress] = []
        while !preferred.isEmpty || !other.isEmpty {
            if !preferred.isEmpty { result.append(preferred.removeFirst()) }
            if !other.isEmpty { result.append(other.removeFirst()) }
        }
        return result
    }

    // MARK: one attempt

    /// One connect attempt. With a `timeout`, the wait for the handshake carries a deadline on
    /// the reactor's timing wheel (no task, no task group), and its expiry throws `.timeout`
    /// naming `label` (or the address).
    /// Runs on the caller's executor: a task already on `reactor` (a proxy dialling its
    /// upstream) connects with no executor switch; others hop to the reactor first.
    private nonisolated(nonsending) func connect(_ address: SocketAddress, label: String? = nil, timeout: Duration? = nil,
                                                 on reactor: Reactor) async throws -> TCPConn {
        if reactor.isCurrent { return try await connectOnReactor(address, label: label, timeout: timeout, reactor: reactor) }
        if reactor.isShuttingDown { throw NetError(.shuttingDown, operation: "connect", at: endpoints(to: address)) }
        return try await withTaskExecutorPreference(reactor) {
            try await connectAfterHop(address, label: label, timeout: timeout, reactor: reactor)
        }
    }

    /// A plain nonisolated async function: entering it moves to the task's preferred executor,
    /// which the caller has just made `reactor`.
    private func connectAfterHop(_ address: SocketAddress, label: String?, timeout: Duration?,
                                 reactor: Reactor) async throws -> TCPConn {
        guard reactor.isCurrent else { throw NetError(.shuttingDown, operation: "connect", at: endpoints(to: address)) }
        return try await connectOnReactor(address, label: label, timeout: timeout, reactor: reactor)
    }

    /// The attempt itself, on `reactor`'s thread.
    private nonisolated(nonsending) func connectOnReactor(_ address: SocketAddress, label: String?, timeout: Duration?,
                                                          reactor: Reactor) async throws -> TCPConn {
        try Task.checkCancellation()
        // A connect registered once shutdown has begun would never be woken.
        if reactor.isShuttingDown { throw NetError(.shuttingDown, operation: "connect", at: endpoints(to: address)) }
        let (conn, connected) = try startConnect(address, reactor: reactor)
        if connected { return conn }
        do {
            try await conn.waitForConnect(timeout: timeout)
        } catch {
            throw failedConnect(conn, error: error, address: address, label: label)
        }
        try finishConnect(conn, address: address)
        return conn
    }

    /// The synchronous start of an attempt: socket, options, a non-blocking connect, and the
    /// connection registered with `reactor`. True when it connected at once (Unix sockets).
    /// Out of line, like the two below, so the suspended attempt's frame stays small.
    @inline(never)
    func startConnect(_ address: SocketAddress, reactor: Reactor) throws(NetError) -> (TCPConn, Bool) {
        if !options.isEmpty { try options.validate() }
        let fd = try Syscall.socket(family: address.family, type: Int32(SOCK_STREAM.rawValue), at: endpoints(to: address))
        reactor.socketOpened()
        let connected: Bool
        do throws(NetError) {
            if address.family != AF_UNIX {
                if noDelay { try Syscall.setIntOption(fd, level: Int32(IPPROTO_TCP), name: TCP_NODELAY, value: 1, at: endpoints(to: address)) }
                try Syscall.setTCPOptions(fd, options, at: endpoints(to: address))
            }
            if let localAddress { try Syscall.bind(fd, to: localAddress, at: endpoints(to: address)) }
            connected = try Syscall.connect(fd, to: address, from: localAddress)
        } catch {
            reactor.closeSocket(fd)
            throw error
        }
        let socket = try StreamSocket(adopting: fd, reactor: reactor, local: nil, remote: address)
        // Nothing can be waiting to be read on a socket that has just connected: the first read
        // waits for the kernel's readiness event instead of trying (and failing) at once. Data
        // already queued by then is reported too, as registration polls the current state.
        socket.readReady = false
        return (TCPConn(socket: socket), connected)
    }

    /// Closes an attempt whose wait failed and says why (a timeout names `label`).
    @inline(never)
    private func failedConnect(_ conn: TCPConn, error: any Error, address: SocketAddress, label: String?) -> any Error {
        conn.close()
        if let error = error as? NetError, error.isTimeout {
            return NetError(.timeout, operation: "connect", at: endpoints(to: address).labelled(label))
        }
        return error
    }

    /// Checks the handshake's outcome; throws and closes on failure.
    @inline(never)
    private func finishConnect(_ conn: TCPConn, address: SocketAddress) throws(NetError) {
        if let error = Dialer.handshakeError(of: conn, at: endpoints(to: address)) {
            conn.close()
            throw error
        }
    }

    /// The error of a finished handshake, or nil when it connected. A writable event with no
    /// error or hang-up says the handshake completed (the kernel reports a failed connect with
    /// an error readiness), so SO_ERROR is read only when one of those came with it, to name the errno.
    static func handshakeError(of conn: TCPConn, at endpoints: NetError.Endpoints) -> NetError? {
        guard conn.socket.hangup else { return nil }
        let status = Syscall.pendingError(conn.socket.fd)
        guard status != 0 else { return nil }
        return NetError(.system(errno: status), operation: "connect", at: endpoints)
    }

    /// A connect to `address` for its errors: `tcp` (or `unix`), the address, and the local
    /// address when the dialer binds one (as Go's dial names its `LocalAddr`).
    func endpoints(to address: SocketAddress) -> NetError.Endpoints {
        .stream(local: localAddress, remote: address)
    }
}

extension NetError {
    /// True for failures a retry may cure: the connect itself failed or timed out, or the
    /// lookup of the name timed out (a lost DNS answer; an unknown name is not retried).
    var isConnectFailure: Bool {
        switch code {
        case .system: return operation == "connect"
        case .timeout: return operation == "connect" || operation == "lookup"
        case .dialFailed: return underlying.contains { $0.isConnectFailure }
        default: return false
        }
    }
}
