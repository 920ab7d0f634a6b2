import EventLoop
import EventLoopTesting
import Testing

/// A closed listener is freed even when its serve closure captures it (a reference cycle the
/// listener breaks when it closes), so nothing it owns outlives it.
@Suite struct ListenerLifetimeTests {
    final class WeakBox: @unchecked Sendable {
        // @unchecked Sendable: written once before the checks, read after; a test helper.
        weak var listener: Listener?
    }

    @Test func serveClosureCapturingTheListenerDoesNotLeakIt() async throws {
        let box = WeakBox()
        try await withReactorGroup(reactors: 2) { group in
            let listener = try await Listener.listen(.loopbackIPv4(), group: group)
            box.listener = listener
            let serving = Task {
                await listener.serve { conn in
                    _ = listener.address  // the capture that makes the cycle
                    conn.close()
                }
            }
            let client = try await Dialer().dial(listener.address, group: group)
            var buffer = ByteBuffer()
            _ = try? await client.read(into: &buffer)  // the server closes: end of stream
            client.close()
            listener.close()
            await serving.value
        }
        try await waitUntil { box.listener == nil }
    }
}
