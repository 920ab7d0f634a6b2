import EventLoop

/// UDP echo: every datagram goes back to its sender, from the address it was sent to (a
/// wildcard-bound socket reads that from packet info). Datagrams are echoed as they are in
/// every `--mode`: a datagram is already a message, there is no line to frame.
///
/// `--udp-batch N` datagrams are read per `recvmmsg` and written back with one `sendmmsg`;
/// with 1 each datagram takes one `recvmsg` and one `sendmsg`.
extension EchoServer {
    /// Serves `listener` on the level the configuration names until the listener is closed
    /// (the handler level returns at once; its sockets serve until closed).
    func serveUDP(_ listener: UDPListener) async {
        let batch = configuration.udpBatch
        switch configuration.api {
        case .async:
            await listener.serve { conn in await Self.echoDatagrams(conn, batch: batch) }
        case .handler:
            listener.serveHandlers { _ in DatagramEchoHandler(batch: batch) }
        }
    }

    /// The async level: read a batch, write it back, recycle the buffers, again. Returns when
    /// the socket is closed.
    static func echoDatagrams(_ conn: UDPConn, batch: Int) async {
        if batch == 1 { return await echoOneByOne(conn) }
        var datagrams: [Datagram] = []
        while true {
            do {
                _ = try await conn.read(into: &datagrams, maxCount: batch)
                try await conn.write(contentsOf: datagrams)
            } catch let error as NetError where error.code == .closed || error.code == .reactorStopped {
                return
            } catch {
                // One datagram the kernel refused (its sender's address, say): the others go on.
            }
            conn.recycle(&datagrams)
        }
    }

    /// `--udp-batch 1` at the async level: one `recvmsg` and one `sendmsg` per datagram.
    private static func echoOneByOne(_ conn: UDPConn) async {
        var buffer = ByteBuffer()
        let packetInfo = conn.socket.packetInfo
        while true {
            do {
                buffer.clear()
                if packetInfo {
                    var datagrams: [Datagram] = []
                    _ = try await conn.read(into: &datagrams, maxCount: 1)
                    try await conn.write(datagrams[0])
                } else {
                    let (_, sender) = try await conn.read(into: &buffer)
                    try await conn.write(buffer, to: sender)
                }
            } catch let error as NetError where error.code == .closed || error.code == .reactorStopped {
                return
            } catch {
                // As above: one refused datagram does not stop the echo.
            }
        }
    }
}

/// The handler level: datagrams read in batches from the reactor's receive memory and queued
/// back (copied into one pooled buffer), one `sendmmsg` per batch. While echoes wait for the
/// send buffer, reading stops (back-pressure) until ``writable(_:)``.
final class DatagramEchoHandler: DatagramHandler {
    private let batch: Int
    private var scratch: [UInt8]

    init(batch: Int) {
        self.batch = batch
        scratch = batch == 1 ? [UInt8](repeating: 0, count: 65_536) : []
    }

    func readable(_ socket: DatagramSocket) {
        while socket.pendingWriteCount == 0 {
            do {
                let result = batch == 1 ? try echoOne(socket) : try socket.receiveBatch(maxCount: batch) { datagram in
                    try socket.send(datagram.bytes, to: datagram.sender, from: datagram.destination)
                }
                try socket.flush()
                guard case .processed = result else { return }
            } catch let error as NetError where error.code == .closed {
                return
            } catch {
                // A refused echo is counted by the socket (sendErrors); go on with the next.
            }
        }
    }

    /// `--udp-batch 1`: one `recvmsg` and one `sendmsg`.
    private func echoOne(_ socket: DatagramSocket) throws -> IOResult<Int> {
        try scratch.withUnsafeMutableBytes { space in
            guard case .processed(let header) = try socket.receive(into: space) else { return .wouldBlock }
            let bytes = UnsafeRawBufferPointer(rebasing: space[..<header.count])
            if case .wouldBlock = try socket.sendNow(bytes, to: header.sender, from: header.destination) {
                try socket.send(bytes, to: header.sender, from: header.destination)
            }
            return .processed(1)
        }
    }

    func writable(_ socket: DatagramSocket) {
        readable(socket)
    }
}
