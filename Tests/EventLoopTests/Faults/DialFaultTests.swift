@testable import EventLoop
import EventLoopTesting
import Glibc
import Synchronization
import Testing

/// Dials whose connect(2) is injected to fail at once (ECONNREFUSED, ENOBUFS, …): the error is
/// typed and names the operation and the address, the new socket is closed, and a retry
/// policy retries it.
///
/// A connect fault is aimed at a descriptor number, and the dialling socket's number is not
/// known before the dial. So the fault matches any descriptor
/// (``FaultInjection/anyDescriptor``) but only on the dialling reactor's thread, a reactor of
/// the test's own group where the dial is the only connect: no other test's socket can be
/// affected. One shot: the first connect on that thread fails, later ones do not.
@Suite struct DialFaultTests {
    /// Installs a one-shot `effect` on the next connect `reactor` makes; returns the fault's id.
    static func failNextConnect(on reactor: Reactor, _ code: Int32, in faults: FaultInjection.Scope) -> Int {
        let box = OneShot()
        return faults.install(.onReactor(reactor, .connect, fd: FaultInjection.anyDescriptor, .fail(code)) { _ in box.take() })
    }

    @Test(arguments: [ECONNREFUSED, ENOBUFS, ENETUNREACH])
    func connectFailingAtOnceIsTypedAndClosesTheSocket(code: Int32) async throws {
        try await withReactorGroup(reactors: 2) { group in
            let dialling = group.reactors[1]
            let listener = try await Listener.listen(.loopbackIPv4(), on: group.reactors[0])
            defer { listener.close() }
            let address = listener.address
            try await FaultInjection.withFaults { faults in
                let id = Self.failNextConnect(on: dialling, code, in: faults)
                do {
                    let conn = try await Dialer().dial(address, on: dialling)
                    conn.close()
                    Issue.record("the injected connect failure never fired")
                } catch let error as NetError {
                    #expect(error == NetError(.system(errno: code), operation: "connect", network: .tcp, remote: address))
                    #expect(faults.hits(id) == 1)
                }
                faults.lift()
                #expect(dialling.openSocketCount == 0, "the failed dial's socket was not closed")
            }
            // Nothing left behind: the next dial on that reactor connects.
            let conn = try await Dialer().dial(address, on: dialling)
            conn.close()
            let server = try await listener.accept()
            server.close()
        }
    }

    @Test func refusedConnectIsRetriedByTheRetryPolicy() async throws {
        try await withReactorGroup(reactors: 2) { group in
            let dialling = group.reactors[1]
            let listener = try await Listener.listen(.loopbackIPv4(), on: group.reactors[0])
            defer { listener.close() }
            let address = listener.address
            try await FaultInjection.withFaults { faults in
                let dialer = Dialer(retry: RetryPolicy(attempts: 3, baseDelay: .milliseconds(1), jitter: false))
                let id = Self.failNextConnect(on: dialling, ECONNREFUSED, in: faults)
                let conn = try await dialer.dial(address, on: dialling)
                conn.close()
                let server = try await listener.accept()
                server.close()
                #expect(faults.hits(id) == 1, "the injected connect failure never fired")
            }
        }
    }
}

/// A flag that lets exactly one caller through.
final class OneShot: Sendable {
    private let flag = Atomic<Bool>(false)

    /// True for the first call only.
    func take() -> Bool {
        !flag.exchange(true, ordering: .relaxed)
    }
}
