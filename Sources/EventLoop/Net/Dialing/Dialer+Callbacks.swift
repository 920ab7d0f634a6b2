extension Dialer {
    /// Connects to `addresses` from `reactor`'s thread without a task, and calls `completion`
    /// once on that thread with the connection or the error. The addresses are tried in order,
    /// one at a time, each attempt bounded by ``timeout``; ``retry`` and ``fallbackDelay`` apply
    /// to the async `dial` only.
    ///
    /// For programs that serve connections with reactor-thread callbacks
    /// (``Listener/serveConnections(_:)``): no task, no continuation, no executor switch per
    /// connect. Reactor thread only: a call from another thread traps while the reactor runs,
    /// and completes at once with `.shuttingDown` once its shutdown has begun (work handed to a
    /// stopped reactor with `execute` runs elsewhere, so a submitted dial racing a shutdown
    /// fails cleanly). The error is a ``NetError`` naming `connect`, the address and the errno
    /// (or `.timeout` naming `label`); with several addresses that all failed, a `.dialFailed`
    /// listing each. `completion` may run before this
    /// returns (a socket that cannot be created, a Unix socket that connects at once); no
    /// descriptor is left open on failure. To abandon the attempt, there is nothing to cancel:
    /// close the connection `completion` hands over.
    public func dial(_ addresses: [SocketAddress], label: String? = nil, on reactor: Reactor,
                     completion: @escaping (Result<TCPConn, NetError>) -> Void) {
        precondition(!addresses.isEmpty, "dial needs at least one address")
        if reactor.isShuttingDown {
            return completion(.failure(NetError(.shuttingDown, operation: "connect", at: endpoints(to: addresses[0]).labelled(label))))
        }
        if reactor.hasStoppedUnderCaller {
            return completion(.failure(NetError(.reactorStopped, operation: "connect", at: endpoints(to: addresses[0]).labelled(label))))
        }
        precondition(reactor.isCurrent, "the callback dial runs on its reactor's thread")
        attempt(addresses, index: 0, failures: [], label: label, on: reactor, completion: completion)
    }

    /// ``dial(_:label:on:completion:)`` with one address.
    public func dial(_ address: SocketAddress, on reactor: Reactor, completion: @escaping (Result<TCPConn, NetError>) -> Void) {
        dial([address], on: reactor, completion: completion)
    }

    private func attempt(_ addresses: [SocketAddress], index: Int, failures: [NetError], label: String?, on reactor: Reactor,
                         completion: @escaping (Result<TCPConn, NetError>) -> Void) {
        let address = addresses[index]
        // One address (the common case) needs no closure of its own.
        let next: (Result<TCPConn, NetError>) -> Void = addresses.count == 1 ? completion : { result in
            switch result {
            case .success:
                completion(result)
            case .failure(let error) where index + 1 < addresses.count:
                self.attempt(addresses, index: index + 1, failures: failures + [error], label: label, on: reactor, completion: completion)
            case .failure(let error):
                completion(.failure(NetError(.dialFailed, operation: "dial", address: label, underlying: failures + [error])))
            }
        }
        let conn: TCPConn
        let connected: Bool
        do {
            (conn, connected) = try startConnect(address, reactor: reactor)
        } catch {
            return next(.failure(error))
        }
        if connected { return next(.success(conn)) }
        ConnectAttempt(conn: conn, endpoints: endpoints(to: address), label: label, completion: next)
            .start(timeout: timeout)
    }
}
