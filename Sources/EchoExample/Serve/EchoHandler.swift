import EventLoop

/// The handler level: callbacks on the reactor thread, no task per connection.
extension EchoServer {
    /// Called by the listener on the new connection's reactor thread: admits the connection
    /// and returns its handler, or refuses it (closed at once) under `--max-conns`.
    func makeHandler(for socket: StreamSocket) -> any StreamHandler {
        guard let id = admit(peer: socket.remoteAddress, close: { socket.close() }) else {
            // Runs after the listener has attached the handler, in the same pass.
            socket.reactor.execute { socket.close() }
            return RefusedConnection()
        }
        let idleWatch = configuration.idleTimeout.map { timeout in
            IdleWatch(socket, timeout: timeout) { [totals] in totals.idleTimedOut() }
        }
        idleWatch?.start()
        if let context = configuration.tls {
            return makeTLSHandler(for: socket, context: context, id: id, idleWatch: idleWatch)
        }
        switch configuration.mode {
        case .raw: return EchoHandler(server: self, id: id, idleWatch: idleWatch)
        case .line: return LineEchoHandler(server: self, id: id, idleWatch: idleWatch)
        }
    }
}

/// Raw mode at the handler level: reads into the reactor's scratch buffer and sends the same
/// bytes back; stops reading while the peer is slow to take its echo (back-pressure).
final class EchoHandler: StreamHandler {
    private let server: EchoServer
    private let id: UInt64
    private let idleWatch: IdleWatch?
    private var closeWhenFlushed = false

    /// The handler of connection `id`.
    init(server: EchoServer, id: UInt64, idleWatch: IdleWatch?) {
        self.server = server
        self.id = id
        self.idleWatch = idleWatch
    }

    func readable(_ socket: StreamSocket) {
        while socket.pendingWriteBytes == 0 && !closeWhenFlushed {
            do {
                switch try socket.receive({ bytes in try socket.send(bytes) }) {
                case .processed(0):
                    // End of stream: finish the echo, then close.
                    closeWhenFlushed = true
                    if socket.pendingWriteBytes == 0 { socket.close() }
                    return
                case .processed:
                    continue
                case .wouldBlock:
                    return
                }
            } catch {
                socket.close()
                return
            }
        }
    }

    func writable(_ socket: StreamSocket) {
        if closeWhenFlushed {
            socket.close()
        } else {
            readable(socket)
        }
    }

    func closed(_ socket: StreamSocket, error: NetError?) {
        idleWatch?.stop()
        server.ended(id, read: socket.bytesRead, written: socket.bytesWritten, reason: error?.description ?? "closed")
    }
}

/// The handler of a connection refused under `--max-conns`: it is closed before it reads.
final class RefusedConnection: StreamHandler {
    func readable(_ socket: StreamSocket) { socket.close() }
}
