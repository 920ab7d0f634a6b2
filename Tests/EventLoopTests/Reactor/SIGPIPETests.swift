@testable import EventLoop
import EventLoopTesting
import Glibc
import Synchronization
import Testing

/// SIGPIPEs delivered to the counting handler below.
private let deliveredSIGPIPEs = Atomic<Int>(0)

/// The library leaves the process's SIGPIPE disposition alone: sends use MSG_NOSIGNAL, and
/// splice(2) into a socket (which has no such flag) runs on reactor threads, which block SIGPIPE
/// and discard the pending signal, so the caller sees EPIPE and nothing else in the process does.
@Suite(.serialized) struct SIGPIPETests {
    /// Runs `body` with a SIGPIPE handler that counts deliveries, then restores the disposition.
    static func withCountingHandler<T>(_ body: () async throws -> T) async rethrows -> T {
        var counting = sigaction()
        counting.__sigaction_handler.sa_handler = { _ in deliveredSIGPIPEs.add(1, ordering: .relaxed) }
        sigemptyset(&counting.sa_mask)
        var previous = sigaction()
        sigaction(SIGPIPE, &counting, &previous)
        defer { sigaction(SIGPIPE, &previous, nil) }
        return try await body()
    }

    /// The handler SIGPIPE has now, as an address (SIG_DFL is 0, SIG_IGN 1).
    static func currentHandler() -> Int {
        var current = sigaction()
        sigaction(SIGPIPE, nil, &current)
        return unsafeBitCast(current.__sigaction_handler.sa_handler, to: Int.self)
    }

    @Test func creatingAGroupLeavesTheDispositionAlone() async throws {
        try await Self.withCountingHandler {
            let installed = Self.currentHandler()
            try await withReactorGroup(reactors: 2) { group in
                _ = try await LoopbackPair.make(group: group).close()
            }
            #expect(Self.currentHandler() == installed, "the library changed SIGPIPE's disposition")
        }
    }

    /// splice(2) into a socket whose write side is shut fails with EPIPE and raises SIGPIPE
    /// (it has no MSG_NOSIGNAL): off a reactor thread the signal is delivered, on a reactor
    /// thread it is blocked, discarded, and the call's error is a typed EPIPE.
    @Test func spliceRaisesSIGPIPEOnlyOffReactorThreads() async throws {
        try await withReactorGroup { group in
            let pair = try await LoopbackPair.make(group: group)
            defer { pair.close() }
            try await pair.client.closeWrite()
            let fd = pair.client.socket.fd
            let pipe = try Syscall.pipe()
            defer { Syscall.close(pipe.read); Syscall.close(pipe.write) }
            await Self.withCountingHandler {
                let before = deliveredSIGPIPEs.load(ordering: .relaxed)
                // Off the reactors (a thread of the global pool): the kernel's signal arrives.
                let offReactor: Int32? = await Task.detached {
                    // Unblocked here whatever mask the test process inherited; restored after.
                    var sigpipe = sigset_t()
                    var previousMask = sigset_t()
                    sigemptyset(&sigpipe)
                    sigaddset(&sigpipe, SIGPIPE)
                    pthread_sigmask(SIG_UNBLOCK, &sigpipe, &previousMask)
                    defer { pthread_sigmask(SIG_SETMASK, &previousMask, nil) }
                    _ = Glibc.write(pipe.write, "x", 1)
                    do throws(NetError) { _ = try Syscall.splice(from: pipe.read, to: fd, count: 1, operation: "write", at: .none) } catch { return error.errno }
                    return nil
                }.value
                #expect(offReactor == EPIPE)
                #expect(deliveredSIGPIPEs.load(ordering: .relaxed) - before == 1, "splice into a shut socket raises SIGPIPE")
                // On the connection's reactor: blocked there, discarded, reported as EPIPE only.
                let reactor = group.reactors[0]
                let onReactor = await withCheckedContinuation { (done: CheckedContinuation<(NetError?, Bool), Never>) in
                    reactor.execute {
                        var error: NetError?
                        _ = Glibc.write(pipe.write, "x", 1)
                        do throws(NetError) { _ = try Syscall.splice(from: pipe.read, to: fd, count: 1, operation: "write", at: pair.client.socket.endpoints) } catch let caught { error = caught }
                        var pending = sigset_t()
                        sigpending(&pending)
                        done.resume(returning: (error, sigismember(&pending, SIGPIPE) == 1))
                    }
                }
                #expect(onReactor.0?.errno == EPIPE)
                #expect(onReactor.0?.operation == "write")
                #expect(onReactor.1 == false, "the blocked SIGPIPE stays pending on the reactor thread")
                #expect(deliveredSIGPIPEs.load(ordering: .relaxed) - before == 1, "a reactor thread let SIGPIPE through")
            }
        }
    }
}
