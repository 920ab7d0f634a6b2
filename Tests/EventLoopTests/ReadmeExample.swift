// The code of README.md's "Using the library", word for word between the markers below
// (`ReadmeExampleMatchesTests` checks it), so the README's example keeps compiling. It is
// compiled, not run: it listens on a fixed port and serves until the listener is closed.
import EventLoop

func readmeUsingTheLibrary() async throws {
// README begin
let group = try ReactorGroup()                       // one reactor thread per core
let listener = try await Listener.listen("127.0.0.1:9000", group: group)
await listener.serve { conn in                       // one task per connection, on its reactor
    var buffer = ByteBuffer()                        // read gives it a pooled chunk
    while true {
        buffer.clear()
        guard let n = try? await conn.read(into: &buffer), n > 0 else { return }  // 0 = EOF
        try? await conn.write(buffer)                // suspends while the peer is slow
    }
}                                                    // returns after listener.close()
await group.shutdown()
// README end
}
