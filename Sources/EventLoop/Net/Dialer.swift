import Glibc

/// Opens outgoing stream connections (TCP or Unix) with a non-blocking connect.
///
/// A value type: configure it once and share it. Names are resolved off the reactor threads;
/// when a name has several addresses they are tried in turn until one connects.
/// Thread safety: `Sendable`; dial from any task.
public struct Dialer: Sendable {
    /// TCP_NODELAY on the new connection (default on: small writes go out at once).
    public var noDelay = true
    /// SO_KEEPALIVE on the new connection (default off).
    public var keepAlive = false
    /// Bind to this local address before connecting (for example a source IP); nil lets the kernel choose.
    public var localAddress: SocketAddress?

    /// A dialer with the defaults above.
    public init() {}

    /// Connects to `address` on `reactor` and returns the connection, which lives on that reactor.
    ///
    /// Throws ``NetError`` (`connect`, the address, the errno, e.g. ECONNREFUSED), or
    /// `CancellationError` when the task is cancelled, in which case the socket is closed.
    public func dial(_ address: SocketAddress, on reactor: Reactor) async throws -> TCPConn {
        if reactor.isCurrent { return try await dialOnReactor(address, reactor: reactor) }
        if reactor.isStopped { throw NetError(.reactorStopped, operation: "connect", address: address.description) }
        return try await withTaskExecutorPreference(reactor) { try await dialOnReactor(address, reactor: reactor) }
    }

    /// Connects to a reactor of `group` (round-robin).
    public func dial(_ address: SocketAddress, group: ReactorGroup) async throws -> TCPConn {
        try await dial(address, on: group.next())
    }

    /// Resolves `text` (`host:port`, `[v6]:port`, `unix:/path`) and connects to the first address
    /// that accepts. Throws `.dialFailed` listing every attempt when all fail.
    public func dial(_ text: String, on reactor: Reactor) async throws -> TCPConn {
        let addresses = try await SocketAddress.resolve(text)
        var failures: [NetError] = []
        for address in addresses {
            do {
                return try await dial(address, on: reactor)
            } catch let error as NetError {
                failures.append(error)
            }
        }
        if failures.count == 1 { throw failures[0] }
        throw NetError(.dialFailed, operation: "dial", address: text, underlying: failures)
    }

    private func dialOnReactor(_ address: SocketAddress, reactor: Reactor) async throws -> TCPConn {
        guard reactor.isCurrent else { throw NetError(.reactorStopped, operation: "connect", address: address.description) }
        let fd = try Syscall.socket(family: address.family, type: Int32(SOCK_STREAM.rawValue), address: address)
        reactor.socketOpened()
        let connected: Bool
        do {
            if address.family != AF_UNIX {
                if noDelay { try Syscall.setIntOption(fd, level: Int32(IPPROTO_TCP), name: TCP_NODELAY, value: 1) }
                if keepAlive { try Syscall.setIntOption(fd, level: SOL_SOCKET, name: SO_KEEPALIVE, value: 1) }
            }
            if let localAddress { try Syscall.bind(fd, to: localAddress) }
            connected = try Syscall.connect(fd, to: address)
        } catch {
            reactor.closeSocket(fd)
            throw error
        }
        let socket = try StreamSocket(adopting: fd, reactor: reactor, local: nil, remote: address)
        let conn = TCPConn(socket: socket)
        if connected { return conn }
        do {
            try await conn.waitForConnect()
        } catch {
            conn.close()
            throw error
        }
        let status = Syscall.pendingError(fd)
        if status != 0 {
            conn.close()
            throw NetError(.system(errno: status), operation: "connect", address: address.description)
        }
        return conn
    }
}
