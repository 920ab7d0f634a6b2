import EventLoop
import EventLoopTLS

/// The async level over TLS: a `TLSListener` hands over connections whose handshake has
/// completed (a failed one is logged by ``EchoServer/handshakeFailed(peer:_:)``), each served by
/// the same loops as plain TCP.
extension EchoServer {
    /// Serves `listener` until its TCP listener is closed.
    func serveTLS(_ listener: TLSListener) async {
        await listener.serve { conn in await self.handle(conn) }
    }

    /// Serves one TLS connection to its end; the listener closes it when this returns.
    func handle(_ conn: TLSConn) async {
        guard let id = admit(peer: conn.remoteAddress, close: { conn.close() }) else { return }
        let idle = configuration.idleTimeout
        let ending: Ending
        do {
            switch configuration.mode {
            case .raw: ending = try await Self.echoBytes(conn, idle: idle)
            case .line: ending = try await echoLines(conn, id: id, idle: idle)
            }
            // Our close_notify after the peer's: an orderly TLS end.
            if case .endOfStream = ending { try? await conn.closeWrite() }
        } catch {
            ending = self.ending(for: error)
        }
        let stats = conn.tcp.stats
        ended(id, read: stats.bytesRead, written: stats.bytesWritten, reason: ending.text)
    }
}
