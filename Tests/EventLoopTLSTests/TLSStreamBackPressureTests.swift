import EventLoop
import EventLoopTLS
import EventLoopTesting
import Synchronization
import Testing
import TestSupport

/// An echo that notes the largest send queue it has seen and, when the peer's `close_notify`
/// comes, sends a last word before the stream's own `close_notify`.
final class WatchedEchoHandler: TLSStreamHandler {
    let watch: StreamWatch
    init(watch: StreamWatch) { self.watch = watch }

    func received(_ stream: TLSStream, _ bytes: UnsafeRawBufferPointer) {
        do { try stream.send(bytes) } catch { stream.close() }
        watch.largestQueue.max(stream.pendingWriteBytes)
    }

    func inputEnded(_ stream: TLSStream) {
        let last = Array("bye".utf8)
        try? last.withUnsafeBytes { try stream.send($0) }
    }
}

/// What the server side of a test saw: its streams and the largest send queue.
final class StreamWatch: Sendable {
    let streams = Mutex<[TLSStream]>([])
    let largestQueue = Atomic<Int>(0)
    /// Set by a test's client when its writer has written everything.
    let written = Atomic<Bool>(false)

    func add(_ stream: TLSStream) { streams.withLock { $0.append(stream) } }
    var first: TLSStream? { streams.withLock { $0.first } }
}

extension Atomic<Int> {
    /// Raises the value to `value` if it is larger.
    func max(_ value: Int) {
        var current = load(ordering: .relaxed)
        while value > current {
            let (exchanged, original) = compareExchange(expected: current, desired: value, ordering: .relaxed)
            if exchanged { return }
            current = original
        }
    }
}

/// ``TLSStream`` back-pressure (a peer that writes without reading holds a bounded amount of
/// the server's memory) and ``TLSStreamHandler/inputEnded(_:)`` (an answer after the peer's
/// `close_notify`).
@Suite struct TLSStreamBackPressureTests {
    static func serve(_ listener: Listener, _ context: TLSContext, _ watch: StreamWatch) {
        listener.serveHandlers { socket in
            do {
                let stream = try TLSStream(socket: socket, context: context, handler: WatchedEchoHandler(watch: watch))
                watch.add(stream)
                return stream
            } catch {
                return ClosingHandler()
            }
        }
    }

    @Test func aPeerThatDoesNotReadHoldsBoundedOutput() async throws {
        try await withReactorGroup(reactors: 2, timeout: 120) { group in
            let listener = try await Listener.listen(.loopbackIPv4(), group: group)
            let watch = StreamWatch()
            Self.serve(listener, try TestCertificates.serverContext(), watch)
            let client = try await TLSDialer(context: try TestCertificates.clientContext()).dial(listener.address, group: group)
            // More than every kernel buffer on the path can hold: without back-pressure the
            // server would read it all and queue the echo in its own memory.
            let size = 64 << 20
            let writer = Task {
                try await client.write(Pattern.bytes(at: 0, count: size))
                watch.written.store(true, ordering: .relaxed)
            }
            try await waitUntil(within: 60) {
                if watch.written.load(ordering: .relaxed) { return true }
                guard let stream = watch.first else { return false }
                return try await stream.socket.reactor.submit { stream.isReadingPaused }
            }
            let wroteEverything = watch.written.load(ordering: .relaxed)
            let largest = watch.largestQueue.load(ordering: .relaxed)
            #expect(!wroteEverything, "the client wrote \(size) bytes into a server that never paused")
            let bound = 64 * 1024 + 16 * 1024 + 256
            #expect(largest <= bound, "largest queue \(largest)")
            // Reading resumes as the client reads: every byte comes back, in order.
            var echoed = ByteBuffer()
            try await client.readExactly(size, into: &echoed)
            #expect(Pattern.matches(echoed, at: 0))
            try await writer.value
            let largestAtTheEnd = watch.largestQueue.load(ordering: .relaxed)
            #expect(largestAtTheEnd <= bound, "largest queue \(largestAtTheEnd)")
            try await client.closeWrite()
            let (rest, error) = await drain(client)
            #expect(String(decoding: rest, as: UTF8.self) == "bye")
            #expect(error == nil)
            client.close()
            listener.close()
        }
    }

    /// The handler answers after the peer's `close_notify`; the stream's own follows, and the
    /// client sees a clean end.
    @Test func theHandlerMaySendAfterThePeersCloseNotify() async throws {
        try await withReactorGroup { group in
            let listener = try await Listener.listen(.loopbackIPv4(), group: group)
            Self.serve(listener, try TestCertificates.serverContext(), StreamWatch())
            let client = try await TLSDialer(context: try TestCertificates.clientContext()).dial(listener.address, group: group)
            try await client.write(ByteBuffer(bytes: Array("hello ".utf8)))
            try await client.closeWrite()
            let (bytes, error) = await drain(client)
            #expect(String(decoding: bytes, as: UTF8.self) == "hello bye")
            #expect(error == nil)
            client.close()
            listener.close()
        }
    }
}
