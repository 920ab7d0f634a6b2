import EventLoop

/// Line mode at the handler level: frames what ``StreamSocket/receive(_:)`` reads into lines,
/// sends the answers to each read at once, and stops reading while they wait to be written.
final class LineEchoHandler: StreamHandler {
    private enum State {
        /// Reading and answering lines.
        case reading
        /// Input ended: close once the last answers are written.
        case closingWhenFlushed
        /// After `ERR line too long`: the write side is shut, input is read and dropped.
        case lingering
    }

    private let server: EchoServer
    private let id: UInt64
    private let idleWatch: IdleWatch?
    private let tracing: Bool
    private var framer: LineFramer
    /// Grows to the largest answer to one read and keeps that capacity across `clear()`.
    private var reply = ByteBuffer()
    private var state = State.reading

    /// The handler of connection `id`.
    init(server: EchoServer, id: UInt64, idleWatch: IdleWatch?) {
        self.server = server
        self.id = id
        self.idleWatch = idleWatch
        tracing = server.tracesLines
        framer = LineFramer(maxLineLength: server.configuration.maxLineLength)
    }

    func readable(_ socket: StreamSocket) {
        switch state {
        case .reading: readLines(socket)
        case .lingering: dropInput(socket)
        case .closingWhenFlushed: break
        }
    }

    func writable(_ socket: StreamSocket) {
        switch state {
        case .reading: readLines(socket)
        case .lingering: dropInput(socket)
        case .closingWhenFlushed: socket.close()
        }
    }

    func closed(_ socket: StreamSocket, error: NetError?) {
        idleWatch?.stop()
        server.ended(id, read: socket.bytesRead, written: socket.bytesWritten, reason: error?.description ?? "closed")
    }

    private func readLines(_ socket: StreamSocket) {
        while state == .reading && socket.pendingWriteBytes == 0 {
            var status = LineFramer.Status.ok
            var endOfStream = false
            do {
                switch try socket.receive({ bytes in status = framer.feed(bytes, onLine: answer) }) {
                case .wouldBlock:
                    return
                case .processed(0):
                    endOfStream = true
                    status = framer.finish(onLine: answer)
                case .processed:
                    break
                }
                if status == .lineTooLong { reply.writeString(LineProtocol.tooLongAnswer) }
                if reply.readableBytes > 0 {
                    try reply.withUnsafeReadableBytes { try socket.send($0) }
                    reply.clear()
                }
            } catch {
                socket.close()
                return
            }
            if status == .lineTooLong {
                server.totals.lineTooLong()
                startLingering(socket)
                return
            }
            if endOfStream {
                state = .closingWhenFlushed
                if socket.pendingWriteBytes == 0 { socket.close() }
                return
            }
        }
    }

    private func answer(_ line: UnsafeRawBufferPointer) {
        if tracing { server.traceLine(line, conn: id) }
        LineProtocol.answer(line, into: &reply)
    }

    /// Shuts the write side once the answer is out and drops input for a while (see
    /// ``LineProtocol``), then closes.
    private func startLingering(_ socket: StreamSocket) {
        state = .lingering
        idleWatch?.stop()
        socket.closeWrite()
        socket.reactor.schedule(after: LineProtocol.lingerAfterError) { socket.close() }
        dropInput(socket)
    }

    private func dropInput(_ socket: StreamSocket) {
        do {
            while true {
                switch try socket.receive({ _ in }) {
                case .wouldBlock:
                    return
                case .processed(0):
                    // The peer is done; close once the answer is written.
                    state = .closingWhenFlushed
                    if socket.pendingWriteBytes == 0 { socket.close() }
                    return
                case .processed:
                    continue
                }
            }
        } catch {
            socket.close()
        }
    }
}
