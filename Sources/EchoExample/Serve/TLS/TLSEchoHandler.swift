import EventLoop
import EventLoopTLS

/// The handler level over TLS: a `TLSStream` runs the handshake and the records in the
/// reactor's callbacks and hands plaintext to a ``TLSEchoHandler``.
extension EchoServer {
    /// The `TLSStream` of admitted connection `id`, or a handler that closes it when OpenSSL
    /// cannot make the connection state.
    func makeTLSHandler(for socket: StreamSocket, context: TLSContext, id: UInt64, idleWatch: IdleWatch?) -> any StreamHandler {
        let handler = TLSEchoHandler(server: self, id: id, idleWatch: idleWatch)
        do {
            return try TLSStream(socket: socket, context: context, handler: handler)
        } catch {
            handshakeFailed(peer: socket.remoteAddress, error)
            idleWatch?.stop()
            ended(id, read: 0, written: 0, reason: "\(error)")
            socket.reactor.execute { socket.close() }
            return RefusedConnection()
        }
    }
}

/// Raw and line mode over a `TLSStream`: raw sends each decrypted run back as it came; line
/// frames it into lines and sends the answers to each run at once (see ``LineProtocol``).
final class TLSEchoHandler: TLSStreamHandler {
    private let server: EchoServer
    private let id: UInt64
    private let idleWatch: IdleWatch?
    private let mode: EchoServer.Mode
    private let tracing: Bool
    private var framer: LineFramer
    /// Grows to the largest answer to one run and keeps that capacity across `clear()`.
    private var reply = ByteBuffer()
    private var handshaken = false
    /// After `ERR line too long`: input is dropped until the linger ends.
    private var lingering = false

    /// The handler of connection `id`.
    init(server: EchoServer, id: UInt64, idleWatch: IdleWatch?) {
        self.server = server
        self.id = id
        self.idleWatch = idleWatch
        mode = server.configuration.mode
        tracing = server.tracesLines
        framer = LineFramer(maxLineLength: server.configuration.maxLineLength)
    }

    func handshakeCompleted(_ stream: TLSStream) {
        handshaken = true
    }

    func received(_ stream: TLSStream, _ bytes: UnsafeRawBufferPointer) {
        if lingering { return }
        do {
            switch mode {
            case .raw:
                try stream.send(bytes)
            case .line:
                let status = framer.feed(bytes, onLine: answer)
                if status == .lineTooLong { reply.writeString(LineProtocol.tooLongAnswer) }
                if reply.readableBytes > 0 {
                    try reply.withUnsafeReadableBytes { try stream.send($0) }
                    reply.clear()
                }
                if status == .lineTooLong { startLingering(stream) }
            }
        } catch {
            stream.close()
        }
    }

    /// The client's `close_notify`: in line mode a last line without a newline is answered
    /// (as over plain TCP at end of stream) before the stream's own `close_notify`.
    func inputEnded(_ stream: TLSStream) {
        guard mode == .line, !lingering else { return }
        let status = framer.finish(onLine: answer)
        if status == .lineTooLong { reply.writeString(LineProtocol.tooLongAnswer) }
        if reply.readableBytes > 0 {
            try? reply.withUnsafeReadableBytes { try stream.send($0) }
            reply.clear()
        }
    }

    func closed(_ stream: TLSStream, error: (any Error)?) {
        idleWatch?.stop()
        if !handshaken, let error { server.handshakeFailed(peer: stream.socket.remoteAddress, error) }
        let socket = stream.socket
        server.ended(id, read: socket.bytesRead, written: socket.bytesWritten, reason: error.map { "\($0)" } ?? "closed")
    }

    private func answer(_ line: UnsafeRawBufferPointer) {
        if tracing { server.traceLine(line, conn: id) }
        LineProtocol.answer(line, into: &reply)
    }

    /// Sends `close_notify` after the answer, drops input for a while, then closes.
    private func startLingering(_ stream: TLSStream) {
        server.totals.lineTooLong()
        lingering = true
        idleWatch?.stop()
        stream.closeWrite()
        stream.socket.reactor.schedule(after: LineProtocol.lingerAfterError) { stream.close() }
    }
}
