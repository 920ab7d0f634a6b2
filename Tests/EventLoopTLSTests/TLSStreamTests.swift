import EventLoop
import EventLoopTLS
import EventLoopTesting
import Testing
import TestSupport

/// An echo at the handler level: every decrypted run goes straight back.
final class EchoTLSHandler: TLSStreamHandler {
    let events: ErrorLog
    init(events: ErrorLog) { self.events = events }

    func received(_ stream: TLSStream, _ bytes: UnsafeRawBufferPointer) {
        do { try stream.send(bytes) } catch { stream.close() }
    }

    func closed(_ stream: TLSStream, error: (any Error)?) {
        if let error { events.append(error) }
    }
}

/// The handler level (``TLSStream``) against the async client.
@Suite struct TLSStreamTests {
    @Test func handlerLevelServerEchoes() async throws {
        try await withReactorGroup(reactors: 2) { group in
            let listener = try await Listener.listen(.loopbackIPv4(), group: group)
            let context = try TestCertificates.serverContext { $0.applicationProtocols = ["echo"] }
            let events = ErrorLog()
            listener.serveHandlers { socket in echoStream(socket, context, events) }
            let client = try await TLSDialer(context: try TestCertificates.clientContext { $0.applicationProtocols = ["echo"] })
                .dial(listener.address, group: group)
            #expect(client.negotiatedProtocol == "echo")
            let size = 256 * 1024
            let writer = Task {
                try await client.write(Pattern.bytes(at: 0, count: size))
            }
            var reply = ByteBuffer()
            try await client.readExactly(size, into: &reply)
            #expect(Pattern.matches(reply, at: 0))
            try await writer.value
            try await client.closeWrite()  // close_notify: the handler's stream ends cleanly
            let (rest, error) = await drain(client)
            #expect(rest.isEmpty)
            #expect(error == nil)
            client.close()
            #expect(events.all.isEmpty)
            listener.close()
        }
    }

    @Test func handlerLevelHandshakeTimeoutCloses() async throws {
        try await withReactorGroup { group in
            let listener = try await Listener.listen(.loopbackIPv4(), group: group)
            let context = try TestCertificates.serverContext { $0.handshakeTimeout = .milliseconds(300) }
            let events = ErrorLog()
            listener.serveHandlers { socket in echoStream(socket, context, events) }
            let client = try await Dialer().dial(listener.address, group: group)
            let (bytes, _) = await drain(client)
            #expect(bytes.isEmpty)
            try await waitUntil { events.all.count == 1 }
            #expect((events.all.first as? NetError)?.code == .timeout)
            client.close()
            listener.close()
        }
    }
}

/// An echoing ``TLSStream`` on `socket`, or a handler that closes it when none can be made.
func echoStream(_ socket: StreamSocket, _ context: TLSContext, _ events: ErrorLog) -> any StreamHandler {
    do {
        return try TLSStream(socket: socket, context: context, handler: EchoTLSHandler(events: events))
    } catch {
        return ClosingHandler()
    }
}

/// Closes a socket at once (when a ``TLSStream`` could not be made).
final class ClosingHandler: StreamHandler {
    func readable(_ socket: StreamSocket) { socket.close() }
}
