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
/// known before the dial: it is the lowest free number then. So the fault is installed on the
/// numbers around the lowest free one now, scoped to the dialling reactor's thread, where the
/// dial is the only connect: no other test's socket can be affected, whatever its number. One
/// shot across all of them: the first connect on that thread fails, later ones do not. Tests
/// running in parallel may take those numbers first; the dial is then tried again.
/// (A fault on every possible number would make every hooked syscall of the process scan a
/// long table under the seam's lock, and slow the parallel tests.)
@Suite struct DialFaultTests {
    /// How many descriptor numbers below and above the lowest free one the fault covers.
    static let reach: Int32 = 64
    /// How many times a dial is tried before the test gives up on the fault firing.
    static let tries = 20

    /// Installs a one-shot `effect` on the connect of every descriptor number `reactor` may
    /// give its next socket; returns the ids of the installed faults.
    static func failNextConnect(on reactor: Reactor, _ code: Int32, in faults: FaultInjection.Scope) -> [Int] {
        let lowestFree = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        Glibc.close(lowestFree)
        let box = OneShot()
        // Others may close descriptors below it meanwhile, or open some at it and above.
        return (max(0, lowestFree - reach)..<(lowestFree + reach)).map { fd in
            faults.install(.onReactor(reactor, .connect, fd: fd, .fail(code)) { _ in box.take() })
        }
    }

    static func hits(_ ids: [Int], in faults: FaultInjection.Scope) -> Int {
        ids.reduce(0) { $0 + faults.hits($1) }
    }

    @Test(arguments: [ECONNREFUSED, ENOBUFS, ENETUNREACH])
    func connectFailingAtOnceIsTypedAndClosesTheSocket(code: Int32) async throws {
        try await withReactorGroup(reactors: 2) { group in
            let dialling = group.reactors[1]
            let listener = try await Listener.listen(.loopbackIPv4(), on: group.reactors[0])
            defer { listener.close() }
            let address = listener.address
            try await FaultInjection.withFaults { faults in
                var fired = false
                for _ in 0..<Self.tries where !fired {
                    let ids = Self.failNextConnect(on: dialling, code, in: faults)
                    do {
                        let conn = try await Dialer().dial(address, on: dialling)
                        // The socket got a number beyond the faults' reach: try again.
                        conn.close()
                        faults.lift()
                        continue
                    } catch let error as NetError {
                        fired = true
                        #expect(error == NetError(.system(errno: code), operation: "connect", network: .tcp, remote: address))
                        #expect(Self.hits(ids, in: faults) == 1)
                    }
                    faults.lift()
                    #expect(dialling.openSocketCount == 0, "the failed dial's socket was not closed")
                }
                #expect(fired, "the injected connect failure never fired")
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
                var fired = false
                for _ in 0..<Self.tries where !fired {
                    let ids = Self.failNextConnect(on: dialling, ECONNREFUSED, in: faults)
                    let conn = try await dialer.dial(address, on: dialling)
                    conn.close()
                    let server = try await listener.accept()
                    server.close()
                    // Zero when the first socket's number was beyond the faults' reach: again.
                    fired = Self.hits(ids, in: faults) == 1
                    faults.lift()
                }
                #expect(fired, "the injected connect failure never fired")
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
