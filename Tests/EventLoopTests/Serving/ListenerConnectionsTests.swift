import EventLoop
import EventLoopTesting
import Glibc
import Testing
import TestSupport

/// `Listener.connections`: an `AsyncSequence` of accepted connections that ends when the
/// listener closes or the iterating task is cancelled.
@Suite struct ListenerConnectionsTests {
    @Test(arguments: [1, 2])
    func yieldsEachConnectionAndEndsWhenTheListenerCloses(reactors: Int) async throws {
        try await withReactorGroup(reactors: reactors) { group in
            let listener = try await Listener.listen(.loopbackIPv4(), group: group)
            let (accepted, acceptedContinuation) = AsyncStream.makeStream(of: Int.self)
            let loop = Task {
                var count = 0
                for try await conn in listener.connections {
                    count += 1
                    // Answer with the connection's number, so the client knows it was yielded.
                    try await conn.write(Array("\(count)".utf8))
                    conn.close()
                    acceptedContinuation.yield(count)
                }
                return count
            }
            for number in 1...3 {
                let client = try await Dialer().dial(listener.address, group: group)
                defer { client.close() }
                #expect(try await client.readUntilClosed().text == "\(number)")
            }
            var seen = 0
            for await count in accepted {
                seen = count
                if count == 3 { break }
            }
            #expect(seen == 3)
            listener.close()
            let total = try await withTimeout(30) { try await loop.value }
            #expect(total == 3)
        }
    }

    @Test func endsAtOnceWhenIteratedAfterTheListenerClosed() async throws {
        try await withReactorGroup { group in
            let listener = try await Listener.listen(.loopbackIPv4(), group: group)
            listener.close()
            var iterator = listener.connections.makeAsyncIterator()
            #expect(try await iterator.next() == nil)
            #expect(try await iterator.next() == nil, "an ended sequence stays ended")
            await listener.waitUntilClosed()
        }
    }

    @Test func endsWhenTheIteratingTaskIsCancelled() async throws {
        try await withReactorGroup { group in
            let listener = try await Listener.listen(.loopbackIPv4(), group: group)
            defer { listener.close() }
            let (started, startedContinuation) = AsyncStream.makeStream(of: Void.self)
            let loop = Task {
                startedContinuation.yield()
                var count = 0
                for try await conn in listener.connections {
                    count += 1
                    conn.close()
                }
                return count
            }
            for await _ in started { break }
            loop.cancel()
            #expect(try await withTimeout(30) { try await loop.value } == 0)
            // The listener itself stays open: a client still connects.
            let client = try await Dialer().dial(listener.address, group: group)
            client.close()
            listener.close()
            await listener.waitUntilClosed()
        }
    }
}
