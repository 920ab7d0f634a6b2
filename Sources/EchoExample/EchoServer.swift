import EventLoop

/// The echo service on both levels of the library: bytes go back as they came.
enum EchoServer {
    /// Async level: one task per connection, a read and a write per message.
    static func serveAsync(_ listener: Listener) async {
        await listener.serve { conn in
            var buffer = ByteBuffer(capacity: 16 * 1024)
            do {
                while true {
                    buffer.clear()
                    if try await conn.read(into: &buffer) == 0 { return }
                    try await conn.write(buffer)
                }
            } catch {
                // The peer reset or vanished: the connection is closed when the task returns.
            }
        }
    }

    /// Handler level: callbacks on the reactor thread, reads into the reactor's scratch buffer.
    static func serveHandlers(_ listener: Listener) async {
        listener.serve { _ in EchoHandler() }
        await listener.waitUntilClosed()
    }
}

/// Echoes on the reactor thread; stops reading while the peer is slow to take its echo.
final class EchoHandler: StreamHandler {
    private var closeWhenFlushed = false

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
}
