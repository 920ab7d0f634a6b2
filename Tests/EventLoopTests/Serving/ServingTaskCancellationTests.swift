@testable import EventLoop
import EventLoopTesting
import Glibc
import Testing
import TestSupport

/// Waits in the task that `Listener.serve` started skip the per-wait cancellation handler
/// (nothing outside can cancel that task). These check that cancellation still reaches every
/// read that can be cancelled: a child task of the handler, and the serving task itself.
@Suite struct ServingTaskCancellationTests {
    /// What the handler saw, reported back to the test.
    enum Outcome: Sendable, Equatable { case cancelled, other(String) }

    /// Serves one connection with `handler`, connects to it, returns what the handler reported.
    func serveOne(_ handler: @escaping @Sendable (TCPConn) async -> Outcome) async throws -> Outcome {
        try await withReactorGroup { group in
            let listener = try await Listener.listen(.loopbackIPv4(), group: group)
            let (outcomes, continuation) = AsyncStream.makeStream(of: Outcome.self)
            let server = Task { await listener.serve { conn in continuation.yield(await handler(conn)) } }
            let client = try await Dialer().dial(listener.address, on: group.next())
            defer { client.close() }
            let outcome = try await withTimeout(30) {
                var iterator = outcomes.makeAsyncIterator()
                return await iterator.next() ?? .other("no outcome")
            }
            listener.close()
            await server.value
            return outcome
        }
    }

    /// Reads once from `conn` and says how that ended.
    func readOutcome(_ conn: TCPConn) async -> Outcome {
        var buffer = ByteBuffer()
        do {
            _ = try await conn.read(into: &buffer)
            return .other("read returned")
        } catch is CancellationError {
            return .cancelled
        } catch {
            return .other("\(error)")
        }
    }

    @Test func aChildTaskOfTheHandlerIsCancelledOutOfAPendingRead() async throws {
        let outcome = try await serveOne { conn in
            let reader = Task(executorPreference: conn.reactor) { await readOutcome(conn) }
            // Let the read park (the client sends nothing), then cancel it.
            do {
                try await waitUntil { try await conn.reactor.submit { conn.readWait.isWaiting } }
            } catch {
                return .other("the read never parked: \(error)")
            }
            reader.cancel()
            return await reader.value
        }
        #expect(outcome == .cancelled)
    }

    @Test func theServingTaskThatCancelsItselfFailsItsNextRead() async throws {
        let outcome = try await serveOne { conn in
            withUnsafeCurrentTask { $0?.cancel() }
            return await readOutcome(conn)
        }
        #expect(outcome == .cancelled)
    }

    @Test func theServingTaskIsRecognisedAndForgottenWhenTheHandlerEnds() async throws {
        try await withReactorGroup { group in
            let listener = try await Listener.listen(.loopbackIPv4(), group: group)
            let (served, continuation) = AsyncStream.makeStream(of: (TCPConn, Bool).self)
            let server = Task {
                await listener.serve { conn in
                    continuation.yield((conn, withUnsafeCurrentTask { $0 == conn.servingTask }))
                }
            }
            let client = try await Dialer().dial(listener.address, on: group.next())
            defer { client.close() }
            var iterator = served.makeAsyncIterator()
            let (conn, recognised) = try #require(await iterator.next())
            #expect(recognised)
            // Once the handler has returned, the connection is closed and no task is remembered.
            try await waitUntil { try await conn.reactor.submit { !conn.socket.isOpen && conn.servingTask == nil } }
            listener.close()
            await server.value
        }
    }

    @Test func aDialFromAChildOfTheServingTaskStaysCancellable() async throws {
        try await withReactorGroup { group in
            let hole = try await Blackhole.make(group: group)
            defer { hole.close() }
            let listener = try await Listener.listen(.loopbackIPv4(), group: group)
            let (outcomes, continuation) = AsyncStream.makeStream(of: Outcome.self)
            let server = Task {
                await listener.serve { conn in
                    // A single-address dial with a timeout waits on the new connection itself;
                    // from this child task it must still end at once when cancelled.
                    let dial = Task(executorPreference: conn.reactor) {
                        try await Dialer(timeout: .seconds(30)).dial(hole.address, on: conn.reactor)
                    }
                    try? await Task.sleep(for: .milliseconds(50))
                    dial.cancel()
                    switch await dial.result {
                    case .failure(is CancellationError): continuation.yield(.cancelled)
                    case .failure(let error): continuation.yield(.other("\(error)"))
                    case .success(let upstream):
                        upstream.close()
                        continuation.yield(.other("connected"))
                    }
                }
            }
            let client = try await Dialer().dial(listener.address, on: group.next())
            defer { client.close() }
            let outcome = try await withTimeout(30) {
                var iterator = outcomes.makeAsyncIterator()
                return await iterator.next() ?? .other("no outcome")
            }
            #expect(outcome == .cancelled)
            // The handler has returned (or is about to): the reactor forgets its serving task.
            let reactor = group.reactors[0]
            try await waitUntil { try await reactor.submit { reactor.servingTasks.isEmpty } }
            listener.close()
            await server.value
        }
    }
}
