@testable import EventLoop
import EventLoopTesting
import Glibc
import Testing
import TestSupport

/// UDP sends and receives under injected syscall results: ENOBUFS on a send is a typed error
/// naming the operation and the destination (the socket stays usable), EAGAIN parks the write
/// until the socket is writable again, EINTR on a receive is retried, ENOMEM on a receive is a
/// typed error after which the datagram is still there.
///
/// A faked EAGAIN leaves the socket waiting for writability, and a socket that is in fact
/// writable brings no new edge by itself: these tests have the peer send a datagram, whose
/// readiness event reports EPOLLOUT too.
@Suite struct DatagramFaultTests {
    /// The three ways a datagram leaves: `send` on a connected socket, `sendmsg` to an address,
    /// `sendmmsg` for a batch.
    enum SendPath: String, CaseIterable, Sendable {
        case connected, addressed, batch

        var call: FaultInjection.Call {
            switch self {
            case .connected: .send
            case .addressed: .sendmsg
            case .batch: .sendmmsg
            }
        }

        /// A client on `reactor` that sends to `server` this way.
        func client(to server: SocketAddress, on reactor: Reactor) async throws -> UDPConn {
            switch self {
            case .connected: try await UDPConn.connect(to: server, on: reactor)
            case .addressed, .batch: try await UDPConn.bind(.loopbackIPv4(), on: reactor)
            }
        }

        /// Sends `data` to `server` from `client` this way.
        func write(_ data: ByteBuffer, from client: UDPConn, to server: SocketAddress) async throws {
            switch self {
            case .connected: try await client.write(data)
            case .addressed: try await client.write(data, to: server)
            case .batch: try await client.write(contentsOf: [Datagram(data: data, remoteAddress: server)])
            }
        }
    }

    /// Reads one datagram from `conn`.
    static func readOne(_ conn: UDPConn) async throws -> ByteBuffer {
        try await withTimeout(30) {
            var received = ByteBuffer()
            _ = try await conn.read(into: &received)
            return received
        }
    }

    /// True once `conn` has a write suspended, waiting for writability.
    static func isWriteParked(_ conn: UDPConn) async throws -> Bool {
        try await conn.reactor.submit { conn.writeWait.isWaiting }
    }

    @Test(arguments: SendPath.allCases)
    func sendFailingWithENOBUFSIsTypedAndTheSocketStaysUsable(path: SendPath) async throws {
        try await withReactorGroup(reactors: 2) { group in
            let reactor = group.reactors[0]
            let server = try await UDPConn.bind(.loopbackIPv4(), on: group.reactors[1])
            let address = try #require(server.localAddress)
            let client = try await path.client(to: address, on: reactor)
            defer { server.close(); client.close() }
            try await FaultInjection.withFaults { faults in
                let refused = faults.install(.onReactor(reactor, path.call, fd: client.socket.fd, .fail(ENOBUFS)) { $0 == 1 })
                let error = await #expect(throws: NetError.self) {
                    try await path.write(Pattern.bytes(at: 0, count: 100), from: client, to: address)
                }
                #expect(error?.errno == ENOBUFS)
                #expect(error?.operation == "write")
                #expect(error?.description.contains(address.description) == true, "\(String(describing: error))")
                #expect(faults.hits(refused) == 1)
                // The socket is still open and sends the next datagram.
                try await path.write(Pattern.bytes(at: 100, count: 200), from: client, to: address)
                let received = try await Self.readOne(server)
                #expect(received.readableBytes == 200 && Pattern.matches(received, at: 100))
            }
        }
    }

    @Test(arguments: SendPath.allCases)
    func sendFailingWithEAGAINWaitsThenCompletesOnceLifted(path: SendPath) async throws {
        try await withReactorGroup(reactors: 2) { group in
            let reactor = group.reactors[0]
            let server = try await UDPConn.bind(.loopbackIPv4(), on: group.reactors[1])
            let address = try #require(server.localAddress)
            let client = try await path.client(to: address, on: reactor)
            let clientAddress = try #require(client.localAddress)
            defer { server.close(); client.close() }
            try await FaultInjection.withFaults { faults in
                let full = faults.install(.onReactor(reactor, path.call, fd: client.socket.fd, .fail(EAGAIN)))
                let completed = Locked(false)
                let writer = Task {
                    try await path.write(Pattern.bytes(at: 0, count: 300), from: client, to: address)
                    completed.withLock { $0 = true }
                }
                try await waitUntil { faults.hits(full) >= 1 }
                try await waitUntil { try await Self.isWriteParked(client) }
                // Still full: an event on the socket makes the write try again, and wait again.
                try await server.write(ByteBuffer(bytes: [1]), to: clientAddress)
                try await waitUntil { faults.hits(full) >= 2 }
                try await waitUntil { try await Self.isWriteParked(client) }
                #expect(!completed.withLock { $0 })
                #expect(client.stats.datagramsWritten == 0)
                faults.lift(full)
                try await server.write(ByteBuffer(bytes: [2]), to: clientAddress)
                try await value(of: writer)
                #expect(completed.withLock { $0 })
                let received = try await Self.readOne(server)
                #expect(received.readableBytes == 300 && Pattern.matches(received, at: 0))
            }
        }
    }

    /// A receive interrupted (EINTR) is retried at once and loses nothing; one that fails
    /// with ENOMEM is a typed error, and the datagram is still there for the next read.
    @Test(arguments: [FaultInjection.Call.recvmsg, .recvmmsg], [EINTR, ENOMEM])
    func receiveFaults(call: FaultInjection.Call, code: Int32) async throws {
        try await withReactorGroup(reactors: 2) { group in
            let reactor = group.reactors[1]
            let server = try await UDPConn.bind(.loopbackIPv4(), on: reactor)
            let address = try #require(server.localAddress)
            let client = try await UDPConn.connect(to: address, on: group.reactors[0])
            defer { server.close(); client.close() }
            try await FaultInjection.withFaults { faults in
                let fault = faults.install(.onReactor(reactor, call, fd: server.socket.fd, .fail(code)) { $0 <= 2 })
                try await client.write(Pattern.bytes(at: 0, count: 500))
                let read: @Sendable () async throws -> ByteBuffer = {
                    try await withTimeout(30) { () async throws -> ByteBuffer in
                        if call == .recvmmsg {
                            var batch: [Datagram] = []
                            _ = try await server.read(into: &batch, maxCount: 8)
                            return batch[0].data
                        }
                        var buffer = ByteBuffer()
                        _ = try await server.read(into: &buffer)
                        return buffer
                    }
                }
                if code == ENOMEM {
                    for _ in 0..<2 {
                        let error = await #expect(throws: NetError.self) { _ = try await read() }
                        #expect(error?.errno == ENOMEM)
                        #expect(error?.operation == "read")
                    }
                }
                let received = try await read()
                #expect(received.readableBytes == 500 && Pattern.matches(received, at: 0))
                #expect(faults.hits(fault) == 2)
            }
        }
    }
}
