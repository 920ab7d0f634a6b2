#if EVENTLOOP_FAULT_INJECTION
import CEventLoop
import Glibc
import Synchronization

/// A seam through which tests replace the results of individual syscalls: an errno (EINTR,
/// EAGAIN, ECONNRESET, EPIPE, EMFILE, ENOBUFS, ENOMEM, …) instead of the call, or a short read
/// or write (the real call, asked for at most a number of bytes).
///
/// Compiled only when `EVENTLOOP_FAULT_INJECTION` is defined, which Package.swift does for debug
/// builds: a release build contains neither this type nor the hooks in ``Syscall`` (each hook is
/// inside `#if EVENTLOOP_FAULT_INJECTION` at its call site), so its code is the same as without
/// the seam. In a debug build with no fault installed, a hook costs one atomic load.
///
/// Tests in one process run in parallel, so a fault is aimed at one descriptor the test owns
/// (a socket, a listener's socket, a reactor's epoll descriptor) and lives only for the scope of
/// ``withFaults(_:)``. The descriptor must stay open while its fault can still fire: a closed
/// number is soon another test's socket (bound a fault that may close it with `count`). Thread safety: faults are installed from any thread while reactors call
/// the hooks on theirs; the table is behind a lock, the "anything installed?" check is atomic.
enum FaultInjection {
    /// The syscalls that go through the seam.
    enum Call: Hashable, Sendable, CustomStringConvertible {
        case accept, recv, send, sendmsg, epollWait, recvmsg, recvmmsg, sendmmsg, splice, connect

        /// Both syscalls a stream write uses: `send` for one buffer, `sendmsg` for several.
        static let streamWrite: Set<Call> = [.send, .sendmsg]

        var description: String {
            switch self {
            case .accept: "accept4"
            case .recv: "recv"
            case .send: "send"
            case .sendmsg: "sendmsg"
            case .epollWait: "epoll_wait"
            case .recvmsg: "recvmsg"
            case .recvmmsg: "recvmmsg"
            case .sendmmsg: "sendmmsg"
            case .splice: "splice"
            case .connect: "connect"
            }
        }
    }

    /// What happens to an affected call.
    enum Effect: Sendable, Equatable {
        /// The call is not made: it returns -1 with this errno.
        case fail(Int32)
        /// The call is made for at most this many bytes (a short read or write). Calls without a
        /// byte count (accept, epoll_wait, connect, the batch calls) are made unchanged.
        case limit(Int)
    }

    /// One fault: which calls on which descriptor, which of them (by their number among the
    /// matching calls, from 1), and what happens to those.
    struct Fault: Sendable {
        var calls: Set<Call>
        var fd: Int32
        var effect: Effect
        /// Which matching calls are affected, given their number (1 for the first matching call
        /// after the fault was installed).
        var affects: @Sendable (Int) -> Bool

        /// Affects `count` matching calls after letting `skip` through: `skip: 2, count: 1` is
        /// "the 3rd call"; `count: .max` is every call until the fault is lifted.
        init(_ calls: Set<Call>, fd: Int32, skip: Int = 0, count: Int = 1, _ effect: Effect) {
            self.calls = calls
            self.fd = fd
            self.effect = effect
            affects = { number in number > skip && number - skip <= count }
        }

        init(_ call: Call, fd: Int32, skip: Int = 0, count: Int = 1, _ effect: Effect) {
            self.init([call], fd: fd, skip: skip, count: count, effect)
        }

        /// Affects the matching calls whose number satisfies `predicate`, which runs under the
        /// fault table's lock on the calling thread: keep it a pure function of the number.
        init(_ calls: Set<Call>, fd: Int32, _ effect: Effect, when predicate: @escaping @Sendable (Int) -> Bool) {
            self.calls = calls
            self.fd = fd
            self.effect = effect
            affects = predicate
        }
    }

    /// A fault's descriptor that matches every descriptor: for a call whose descriptor is not
    /// known in advance (the connect of a socket a dial is about to open). Scope such a fault
    /// to a thread only this test uses (a reactor of its own group), or it affects other tests.
    static let anyDescriptor: Int32 = -1

    /// A fault installed by a scope, with its counters.
    struct Installed {
        let scope: UInt64
        let id: Int
        let fault: Fault
        var matched = 0
        var hits = 0
    }

    /// Installed faults, in installation order.
    static let table = Locked<[Installed]>([])
    /// How many faults are installed: the hooks' fast check.
    static let installedCount = Atomic<Int>(0)
    static let nextScope = Atomic<UInt64>(1)

    /// The faults of one ``withFaults(_:)`` call: install, count and lift them.
    final class Scope: Sendable {
        let id: UInt64
        private let nextID = Atomic<Int>(0)

        fileprivate init(id: UInt64) { self.id = id }

        /// Installs `fault`; returns its id (for ``hits(_:)`` and ``lift(_:)``).
        @discardableResult
        func install(_ fault: Fault) -> Int {
            let id = nextID.add(1, ordering: .relaxed).newValue
            FaultInjection.table.withLock { table in
                table.append(Installed(scope: self.id, id: id, fault: fault))
                FaultInjection.installedCount.add(1, ordering: .releasing)
            }
            return id
        }

        /// How many calls fault `id` has affected so far.
        func hits(_ id: Int) -> Int {
            FaultInjection.table.withLock { table in
                table.first { $0.scope == self.id && $0.id == id }?.hits ?? 0
            }
        }

        /// How many calls fault `id` has matched (affected or let through) so far.
        func matched(_ id: Int) -> Int {
            FaultInjection.table.withLock { table in
                table.first { $0.scope == self.id && $0.id == id }?.matched ?? 0
            }
        }

        /// Removes fault `id`, or every fault of this scope when `id` is nil; returns the calls
        /// the removed faults matched and affected, in total.
        @discardableResult
        func lift(_ id: Int? = nil) -> (matched: Int, hits: Int) {
            FaultInjection.table.withLock { table in
                let removed = table.filter { $0.scope == self.id && (id == nil || $0.id == id) }
                table.removeAll { $0.scope == self.id && (id == nil || $0.id == id) }
                FaultInjection.installedCount.subtract(removed.count, ordering: .releasing)
                return (removed.reduce(0) { $0 + $1.matched }, removed.reduce(0) { $0 + $1.hits })
            }
        }
    }

    /// Runs `body` with a new scope; every fault it installed is lifted when `body` returns or
    /// throws.
    static func withFaults<R>(_ body: (Scope) async throws -> R) async rethrows -> R {
        let scope = Scope(id: nextScope.add(1, ordering: .relaxed).newValue)
        defer { scope.lift() }
        return try await body(scope)
    }

    /// The effect for this call of `call` on `fd`, nil when no fault affects it. Every fault that
    /// matches counts the call; the first one (in installation order) that affects it applies.
    static func effect(_ call: Call, fd: Int32) -> Effect? {
        guard installedCount.load(ordering: .acquiring) > 0 else { return nil }
        return table.withLock { table -> Effect? in
            var effect: Effect?
            for index in table.indices
            where (table[index].fault.fd == fd || table[index].fault.fd == anyDescriptor) && table[index].fault.calls.contains(call) {
                table[index].matched += 1
                if effect == nil, table[index].fault.affects(table[index].matched) {
                    table[index].hits += 1
                    effect = table[index].fault.effect
                }
            }
            return effect
        }
    }

    /// The errno to fail `call` on `fd` with, nil to make the call (byte limits do not apply).
    @inline(__always)
    static func failure(_ call: Call, fd: Int32) -> Int32? {
        guard case .fail(let code) = effect(call, fd: fd) else { return nil }
        return code
    }

    // MARK: hooks with byte counts

    /// The faulted result of `recv` into `buffer`, nil when no fault applies.
    static func recv(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer) -> Int? {
        switch effect(.recv, fd: fd) {
        case nil: return nil
        case .fail(let code): errno = code; return -1
        case .limit(let bytes): return Glibc.recv(fd, buffer.baseAddress, min(bytes, buffer.count), 0)
        }
    }

    /// The faulted result of `send` of `buffer`, nil when no fault applies.
    static func send(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) -> Int? {
        switch effect(.send, fd: fd) {
        case nil: return nil
        case .fail(let code): errno = code; return -1
        case .limit(let bytes): return Glibc.send(fd, buffer.baseAddress, min(bytes, buffer.count), Int32(MSG_NOSIGNAL))
        }
    }

    /// The faulted result of a stream `sendmsg` of `message`'s iovecs, nil when no fault applies.
    /// A byte limit sends the leading iovecs cut to that many bytes.
    static func sendmsg(_ fd: Int32, _ message: UnsafeMutablePointer<msghdr>) -> Int? {
        switch effect(.sendmsg, fd: fd) {
        case nil: return nil
        case .fail(let code): errno = code; return -1
        case .limit(let bytes):
            let original = message.pointee
            var cut: [iovec] = []
            var left = bytes
            for index in 0..<Int(original.msg_iovlen) where left > 0 {
                var vector = original.msg_iov[index]
                vector.iov_len = min(vector.iov_len, left)
                left -= vector.iov_len
                cut.append(vector)
            }
            return cut.withUnsafeMutableBufferPointer { vectors in
                var shortened = original
                shortened.msg_iov = vectors.baseAddress
                shortened.msg_iovlen = vectors.count
                return Glibc.sendmsg(fd, &shortened, Int32(MSG_NOSIGNAL))
            }
        }
    }

    /// The byte count a faulted `splice` out of or into `fd` asks for, or its errno.
    static func splice(_ fd: Int32, count: Int) -> Effect? {
        switch effect(.splice, fd: fd) {
        case .limit(let bytes): return .limit(min(bytes, count))
        case let other: return other
        }
    }
}
#endif
