@testable import EventLoop
import EventLoopTesting
import Glibc
import Synchronization
import Testing
import TestSupport

/// A connection the kernel gives up (keepalive or user timeout: ETIMEDOUT, injected here with
/// ``FaultInjection``) reports ETIMEDOUT with the operation to its reader and its writer, whichever
/// syscall saw it first (the kernel tells only the first; the next would see end of stream or a
/// broken pipe), and the library closes its descriptor without being asked. The real thing, over
/// a link that drops packets, is in the examples' namespace tests.
@Suite struct GivenUpConnectionTests {
    typealias Fault = FaultInjection.Fault

    /// True once `conn`'s descriptor is closed (read on its reactor).
    static func isClosed(_ conn: TCPConn) async throws -> Bool {
        try await conn.reactor.submit { !conn.socket.isOpen }
    }

    /// Writes to `conn` until a write stays pending (the peer does not read); returns that write.
    static func pendingWrite(_ conn: TCPConn) -> Task<Void, any Error> {
        Task(executorPreference: conn.reactor) {
            while true { try await conn.write(Pattern.bytes(at: 0, count: 256 * 1024)) }
        }
    }

    @Test func readSeesItFirstAndThePendingWriteReportsItToo() async throws {
        try await withReactorGroup { group in
            let pair = try await LoopbackPair.make(group: group)
            defer { pair.close() }
            let reactor = pair.client.reactor
            try await FaultInjection.withFaults { faults in
                let timedOut = faults.install(.onReactor(reactor, .recv, fd: pair.client.socket.fd, .fail(ETIMEDOUT)))
                let writer = Self.pendingWrite(pair.client)
                // The writer is parked once the socket buffer is full; then the reader parks.
                try await waitUntil { try await reactor.submit { pair.client.writeBusy && !pair.client.socket.writeReady } }
                let reader = Task(executorPreference: reactor) {
                    var buffer = ByteBuffer()
                    _ = try await pair.client.read(into: &buffer)
                }
                try await pair.server.write(ByteBuffer(bytes: [1]))
                let readError = await #expect(throws: NetError.self) { try await reader.value }
                #expect(readError?.errno == ETIMEDOUT)
                #expect(readError?.operation == "read")
                #expect(readError?.description.hasSuffix(": connection timed out") == true)
                let writeError = await #expect(throws: NetError.self) { try await writer.value }
                #expect(writeError?.errno == ETIMEDOUT)
                #expect(writeError?.description.hasPrefix("write tcp 127.0.0.1:") == true)
                #expect(faults.hits(timedOut) >= 1)
                try await waitUntil { try await Self.isClosed(pair.client) }
                // Later calls say why, too.
                var buffer = ByteBuffer()
                let later = await #expect(throws: NetError.self) { _ = try await pair.client.read(into: &buffer) }
                #expect(later?.errno == ETIMEDOUT)
            }
        }
    }

    @Test func writeSeesItFirstAndThePendingReadGetsNoEndOfStream() async throws {
        try await withReactorGroup { group in
            let pair = try await LoopbackPair.make(group: group)
            defer { pair.close() }
            let reactor = pair.client.reactor
            try await FaultInjection.withFaults { faults in
                _ = faults.install(.onReactor(reactor, FaultInjection.Call.streamWrite, fd: pair.client.socket.fd, .fail(ETIMEDOUT)))
                let reader = Task(executorPreference: reactor) {
                    var buffer = ByteBuffer()
                    return try await pair.client.read(into: &buffer)
                }
                try await waitUntil { try await reactor.submit { pair.client.readBusy } }
                let writeError = await #expect(throws: NetError.self) { try await pair.client.write(ByteBuffer(bytes: [1])) }
                #expect(writeError?.errno == ETIMEDOUT)
                #expect(writeError?.operation == "write")
                let readError = await #expect(throws: NetError.self) { _ = try await reader.value }
                #expect(readError?.errno == ETIMEDOUT)
                #expect(readError?.operation == "read")
                try await waitUntil { try await Self.isClosed(pair.client) }
            }
        }
    }

    /// A handler that reads until told to stop and keeps what it was told.
    final class RecordingHandler: StreamHandler, @unchecked Sendable {
        let readError = Mutex<NetError?>(nil)
        let closedError = Mutex<NetError??>(nil)

        func readable(_ socket: StreamSocket) {
            var scratch = [UInt8](repeating: 0, count: 64)
            while true {
                do {
                    let result = try scratch.withUnsafeMutableBytes { try socket.read(into: $0) }
                    guard case .processed(let count) = result, count > 0 else { return }
                } catch {
                    // Not closed here: the library frees the descriptor by itself.
                    readError.withLock { $0 = error as? NetError }
                    return
                }
            }
        }

        func closed(_ socket: StreamSocket, error: NetError?) {
            closedError.withLock { $0 = .some(error) }
        }
    }

    @Test func handlerLevelReadReportsItAndTheSocketCloses() async throws {
        try await withReactorGroup { group in
            let pair = try await LoopbackPair.make(group: group)
            defer { pair.close() }
            let reactor = pair.client.reactor
            let handler = RecordingHandler()
            try await reactor.submit { pair.client.socket.setHandler(handler) }
            try await FaultInjection.withFaults { faults in
                _ = faults.install(.onReactor(reactor, .recv, fd: pair.client.socket.fd, .fail(ETIMEDOUT)))
                try await pair.server.write(ByteBuffer(bytes: [1]))
                try await waitUntil { handler.closedError.withLock { $0 } != nil }
                let thrown = handler.readError.withLock { $0 }
                #expect(thrown?.errno == ETIMEDOUT)
                #expect(thrown?.operation == "read")
                let closed = handler.closedError.withLock { $0 } ?? nil
                #expect(closed?.errno == ETIMEDOUT)
                #expect(closed?.description.hasSuffix("connection timed out") == true)
                #expect(try await Self.isClosed(pair.client))
            }
        }
    }
}
