import TestSupport
import EventLoop
import EventLoopTesting
import Testing

/// The handler level: callbacks on the reactor thread, no tasks.
@Suite struct HandlerLevelTests {
    /// Echoes 1 KiB per read, so a large message needs many passes of the per-event read budget.
    final class SmallChunkEcho: StreamHandler {
        var ended = false

        func readable(_ socket: StreamSocket) {
            precondition(socket.reactor.isCurrent)
            var chunk = [UInt8](repeating: 0, count: 1024)
            while socket.pendingWriteBytes == 0 && !ended {
                let result = try? chunk.withUnsafeMutableBytes { try socket.read(into: $0) }
                switch result {
                case .processed(0)?, nil:
                    ended = true
                    if socket.pendingWriteBytes == 0 { socket.close() }
                case .processed(let count)?:
                    try? chunk.withUnsafeBytes { try socket.send(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
                case .wouldBlock?:
                    return
                }
            }
        }

        func writable(_ socket: StreamSocket) {
            if ended { socket.close() } else { readable(socket) }
        }
    }

    @Test func handlerEchoOfFourMebibytes() async throws {
        try await withReactorGroup(reactors: 2) { group in
            let listener = try await Listener.listen(.loopbackIPv4(), group: group)
            listener.serveHandlers { _ in SmallChunkEcho() }
            let client = try await Dialer().dial(listener.address, group: group)
            let total = 4 << 20
            async let sent: Void = {
                try await client.write(Pattern.bytes(at: 0, count: total))
                try await client.closeWrite()
            }()
            let echoed = try await client.readAll()
            try await sent
            #expect(echoed.readableBytes == total)
            #expect(Pattern.matches(echoed, at: 0))
            client.close()
            listener.close()
        }
    }

    /// A reactor used as an actor's serial executor runs the actor on its thread.
    actor ReactorBound {
        let reactor: Reactor
        init(reactor: Reactor) { self.reactor = reactor }
        nonisolated var unownedExecutor: UnownedSerialExecutor { reactor.asUnownedSerialExecutor() }
        func onReactorThread() -> Bool { reactor.isCurrent }
    }

    @Test func reactorAsSerialAndTaskExecutor() async throws {
        try await withReactorGroup(reactors: 2) { group in
            let reactor = group.reactors[1]  // the test body runs on reactors[0]
            #expect(await ReactorBound(reactor: reactor).onReactorThread())
            let onThread = await Task(executorPreference: reactor) { reactor.isCurrent }.value
            #expect(onThread)
            #expect(!reactor.isCurrent)
        }
    }
}
