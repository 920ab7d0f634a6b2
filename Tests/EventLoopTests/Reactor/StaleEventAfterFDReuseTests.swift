@testable import EventLoop
import EventLoopTesting
import Glibc
import Synchronization
import Testing

/// An epoll event that was pending for a closed descriptor must never reach the handler of a
/// new registration that got the same descriptor number (and the same slot).
@Suite struct StaleEventAfterFDReuseTests {
    final class Recorder: ReactorIOHandler, @unchecked Sendable {
        // @unchecked Sendable: registered with a reactor, so it must be Sendable; `events` is
        // written by `handleEvents` and read by the test, both inside one `reactor.submit`
        // closure on the reactor thread.
        var events = 0
        func handleEvents(_ events: Readiness) { self.events += 1 }
        func reactorStopped() {}
    }

    struct Outcome: Sendable {
        var sameDescriptor: Bool
        var sameSlot: Bool
        var generationsDiffer: Bool
        var staleDelivered: Int
        var freshDelivered: Int
    }

    @Test func staleTokenIsDroppedAfterDescriptorReuse() async throws {
        try await withReactorGroup { group in
            let reactor = group.reactors[0]
            // Other tests open descriptors in parallel, so the kernel may hand the number to one
            // of them; try a few times to get the literal reuse case. The slot (which is what
            // the token names) is reused every time.
            var outcome: Outcome?
            for _ in 0..<20 where outcome?.sameDescriptor != true {
                outcome = try await attempt(reactor)
            }
            guard let outcome else { return }
            #expect(outcome.sameSlot)
            #expect(outcome.generationsDiffer)
            #expect(outcome.staleDelivered == 0)
            #expect(outcome.freshDelivered == 1)
        }
    }

    func attempt(_ reactor: Reactor) async throws -> Outcome {
            try await reactor.submit { () throws -> Outcome in
                let old = Recorder()
                let oldFD = try Syscall.eventFD()
                let oldToken = try reactor.register(fd: oldFD, interest: .readable, handler: old).token
                reactor.release(token: oldToken)
                Syscall.close(oldFD)

                let fresh = Recorder()
                let newFD = try Syscall.eventFD()
                defer { Syscall.close(newFD) }
                let newToken = try reactor.register(fd: newFD, interest: .readable, handler: fresh).token
                defer { reactor.release(token: newToken) }

                // An event still carrying the old registration's token, as epoll_wait could
                // return it in the same batch that closed the old descriptor.
                reactor.dispatch(token: oldToken, readiness: .readable)
                let stale = fresh.events + old.events
                reactor.dispatch(token: newToken, readiness: .readable)
                return Outcome(
                    sameDescriptor: oldFD == newFD,
                    sameSlot: oldToken & 0xffff_ffff == newToken & 0xffff_ffff,
                    generationsDiffer: oldToken >> 32 != newToken >> 32,
                    staleDelivered: stale,
                    freshDelivered: fresh.events
                )
            }
    }

    @Test func realEventsReachTheNewRegistration() async throws {
        try await withReactorGroup { group in
            let reactor = group.reactors[0]
            let fresh = Recorder()
            let fd = try await reactor.submit { () throws -> Int32 in
                let first = try Syscall.eventFD()
                let registration = try reactor.register(fd: first, interest: .readable, handler: Recorder())
                Syscall.eventFDSignal(first)  // an event is now pending for the old registration
                reactor.release(registration)
                Syscall.close(first)
                let second = try Syscall.eventFD()
                _ = try reactor.register(fd: second, interest: .readable, handler: fresh)
                return second
            }
            Syscall.eventFDSignal(fd)
            try await waitUntil { try await reactor.submit { fresh.events == 1 } }
            try await reactor.submit {
                Syscall.close(fd)
            }
        }
    }
}
