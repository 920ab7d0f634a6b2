import EventLoop
import EventLoopTesting
import Glibc
import Testing

/// Peers that connect and close (or reset) before the server reads: every served read sees
/// end of stream (0) or ECONNRESET, nothing crashes, and nothing leaks.
@Suite struct PeerConnectsAndClosesAtOnceTests {
    @Test func serverReadSeesEndOfStreamOrReset() async throws {
        let peers = 200
        let endOfStream = Counter()
        let reset = Counter()
        let other = Notes()
        try await withReactorGroup(reactors: 2) { group in
            let listener = try await Listener.listen(.loopbackIPv4(), group: group)
            Task {
                await listener.serve { conn in
                    var buffer = ByteBuffer()
                    do {
                        if try await conn.read(into: &buffer) == 0 { endOfStream.increment() } else { other.append("data") }
                    } catch let error as NetError where error.errno == ECONNRESET {
                        reset.increment()
                    } catch {
                        other.append("\(error)")
                    }
                }
            }
            for index in 0..<peers {
                let conn = try await Dialer().dial(listener.address, group: group)
                if index % 2 == 0 { conn.close() } else { conn.abort() }
            }
            try await waitUntil(within: 30) { endOfStream.count + reset.count + other.all.count == peers }
            listener.close()
            await listener.waitUntilClosed()
        }
        #expect(other.all == [])
        #expect(endOfStream.count >= 1 && reset.count >= 1, "eof \(endOfStream.count), reset \(reset.count)")
    }
}
