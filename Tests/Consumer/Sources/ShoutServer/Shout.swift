import EventLoop

/// The shout protocol: every byte the client sends comes back, ASCII letters upper-cased.
public enum Shout {
    /// Answers `conn` until the client ends the stream (or the connection is closed or cancelled).
    public static func serve(_ conn: TCPConn) async {
        var buffer = ByteBuffer()
        do {
            while true {
                buffer.clear()
                if try await conn.read(into: &buffer) == 0 { return }
                var answer = ByteBuffer()
                answer.writeBytes(buffer.readableBytesArray.map { $0 >= 97 && $0 <= 122 ? $0 - 32 : $0 })
                try await conn.write(answer)
            }
        } catch {
            // The client went away, or the server is stopping: the connection closes either way.
        }
    }

    /// Connects to `address` with `Dialer`, sends `text`, and returns the answer.
    public static func shout(_ text: String, to address: SocketAddress, group: ReactorGroup) async throws -> String {
        let conn = try await Dialer().dial(address, group: group)
        defer { conn.close() }
        try await conn.write(Array(text.utf8))
        var reply = ByteBuffer()
        try await conn.readExactly(text.utf8.count, into: &reply)
        return reply.readString(length: text.utf8.count) ?? ""
    }
}
