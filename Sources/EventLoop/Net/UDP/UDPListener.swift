import Glibc

/// Datagram service on every reactor of a ``ReactorGroup``: for UDP one socket per reactor,
/// all bound to the same address with SO_REUSEPORT, so the kernel spreads datagrams over the
/// cores by flow (source and destination address and port) and each flow is always served on
/// the same reactor. A Unix datagram path gets one socket, on the first reactor.
///
/// Use ``conns`` directly, ``serve(_:)`` (one task per socket on its own reactor) or
/// ``serveHandlers(_:)`` (callbacks, no task). Thread safety: every member may be used from
/// any thread.
public final class UDPListener: Sendable {
    /// The bound address (with the real port when port 0 was asked for).
    public let address: SocketAddress
    /// One socket per reactor (one in all for a Unix path), in the group's reactor order.
    public let conns: [UDPConn]

    private init(address: SocketAddress, conns: [UDPConn]) {
        self.address = address
        self.conns = conns
    }

    /// Binds `address` on every reactor of `group` (port 0 picks one free port for all of
    /// them). `options.reusePort` is forced on for more than one reactor. Throws ``NetError``
    /// (`socket`, `setsockopt`, `bind`, the address, the errno); nothing stays open on failure.
    public static func listen(_ address: SocketAddress, group: ReactorGroup,
                              options: DatagramOptions = DatagramOptions()) async throws -> UDPListener {
        let reactors = address.family == AF_UNIX ? [group.reactors[0]] : group.reactors
        var options = options
        if reactors.count > 1 { options.reusePort = true }
        var conns: [UDPConn] = []
        var bound = address
        do {
            for reactor in reactors {
                let conn = try await UDPConn.bind(bound, on: reactor, options: options)
                conns.append(conn)
                if let local = conn.localAddress, address.family != AF_UNIX { bound = local }
            }
        } catch {
            conns.forEach { $0.close() }
            throw error
        }
        return UDPListener(address: bound, conns: conns)
    }

    /// Parses `text` (see ``SocketAddress/init(_:)``) and listens on it.
    public static func listen(_ text: String, group: ReactorGroup, options: DatagramOptions = DatagramOptions()) async throws -> UDPListener {
        try await listen(SocketAddress(text), group: group, options: options)
    }

    /// Runs `handler` once per socket, each in a task on the socket's reactor, and returns when
    /// every one has returned (the socket is closed after its handler returns). A handler
    /// typically loops reading until ``close()`` makes the read throw.
    public func serve(_ handler: @escaping @Sendable (UDPConn) async -> Void) async {
        await withTaskGroup(of: Void.self) { tasks in
            for conn in conns {
                tasks.addTask(executorPreference: conn.reactor) {
                    await handler(conn)
                    conn.close()
                }
            }
        }
    }

    /// Serves every socket at the handler level: `makeHandler` runs on the socket's reactor
    /// thread and its ``DatagramHandler`` receives the callbacks. Returns immediately.
    public func serveHandlers(_ makeHandler: @escaping @Sendable (DatagramSocket) -> any DatagramHandler) {
        for conn in conns {
            let socket = conn.socket
            conn.reactor.execute {
                guard socket.isOpen else { return }
                socket.delegate = .none
                socket.setHandler(makeHandler(socket))
            }
        }
    }

    /// Closes every socket (pending reads fail with `.closed`; a Unix path is removed).
    /// Idempotent.
    public func close() {
        conns.forEach { $0.close() }
    }
}
