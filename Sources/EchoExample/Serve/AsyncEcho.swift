import EventLoop

/// The async level: one task per connection, on the connection's reactor.
extension EchoServer {
    /// Why an async connection ended, for the debug log.
    enum Ending {
        case endOfStream, idleTimeout, lineTooLong, failed(any Error)

        var text: String {
            switch self {
            case .endOfStream: "end of stream"
            case .idleTimeout: "idle timeout"
            case .lineTooLong: "line too long"
            case .failed(let error): "\(error)"
            }
        }
    }

    /// Serves one connection to its end; `Listener.serve` closes it when this returns.
    func handle(_ conn: TCPConn) async {
        guard let id = admit(peer: conn.remoteAddress, close: { conn.close() }) else { return }
        if let timeout = configuration.idleTimeout { conn.setIdleTimeout(timeout) }
        let ending: Ending
        do {
            switch configuration.mode {
            case .raw: ending = try await Self.echoBytes(conn)
            case .line: ending = try await echoLines(conn, id: id)
            }
        } catch {
            ending = self.ending(for: error)
        }
        finish(conn, id: id, ending: ending)
    }

    // The bookkeeping before and after a connection's loop is kept out of line: inlined, its
    // locals would sit in `handle`'s async frame, which every idle connection holds.

    /// The ending a connection's error means.
    @inline(never)
    func ending(for error: any Error) -> Ending {
        if let error = error as? NetError, error.isTimeout {
            totals.idleTimedOut()
            return .idleTimeout
        }
        return .failed(error)
    }

    /// Counts and logs an ended connection.
    @inline(never)
    func finish(_ conn: TCPConn, id: UInt64, ending: Ending) {
        let stats = conn.stats
        ended(id, read: stats.bytesRead, written: stats.bytesWritten, reason: ending.text)
    }

    /// Raw mode, the hot path: read into one buffer, write the same buffer back, again. The
    /// buffer starts empty: `read` gives it a pooled chunk once data has arrived (a buffer made
    /// with a capacity would be a malloc that the first read gives back).
    /// `idle` (TLS connections, whose reads do not move a `TCPConn` idle timeout) sets a read
    /// deadline before each read.
    nonisolated(nonsending) static func echoBytes(_ conn: some Conn, idle: Duration? = nil) async throws -> Ending {
        var buffer = ByteBuffer()
        while true {
            buffer.clear()
            if let idle { conn.setReadDeadline(.after(idle)) }
            if try await conn.read(into: &buffer) == 0 { return .endOfStream }
            try await conn.write(buffer)
        }
    }

    /// Line mode: frame what arrives into lines and write the answers to each read at once.
    func echoLines(_ conn: some Conn, id: UInt64, idle: Duration? = nil) async throws -> Ending {
        var framer = LineFramer(maxLineLength: configuration.maxLineLength)
        var input = ByteBuffer()
        // Grows to the largest answer to one read and keeps that capacity across `clear()`.
        var reply = ByteBuffer()
        let tracing = tracesLines
        while true {
            input.clear()
            reply.clear()
            if let idle { conn.setReadDeadline(.after(idle)) }
            let count = try await conn.read(into: &input)
            let status = input.withUnsafeReadableBytes { bytes in
                let answer = { (line: UnsafeRawBufferPointer) in
                    if tracing { self.traceLine(line, conn: id) }
                    LineProtocol.answer(line, into: &reply)
                }
                return count == 0 ? framer.finish(onLine: answer) : framer.feed(bytes, onLine: answer)
            }
            if status == .lineTooLong { reply.writeString(LineProtocol.tooLongAnswer) }
            if reply.readableBytes > 0 { try await conn.write(reply) }
            if status == .lineTooLong {
                totals.lineTooLong()
                await Self.lingeringClose(conn, buffer: &input)
                return .lineTooLong
            }
            if count == 0 { return .endOfStream }
        }
    }

    /// Shuts the write side, then reads and drops input until the peer closes or
    /// ``LineProtocol/lingerAfterError`` passed, so the peer reads the answer rather than a reset.
    static func lingeringClose(_ conn: some Conn, buffer: inout ByteBuffer) async {
        do {
            try await conn.closeWrite()
            (conn as? TCPConn)?.setIdleTimeout(nil)
            conn.setReadDeadline(.after(LineProtocol.lingerAfterError))
            while true {
                buffer.clear()
                if try await conn.read(into: &buffer) == 0 { return }
            }
        } catch {
            // The linger ended (deadline) or the peer reset: either way the connection closes.
        }
    }
}
