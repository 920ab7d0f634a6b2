import CEventLoop
import Glibc

/// The only place in the library that calls the kernel.
///
/// Every wrapper retries EINTR, reports EAGAIN as ``IOResult/wouldBlock`` where the
/// call is non-blocking, and turns every other errno into a ``NetError`` naming the
/// operation and, where the caller passes them, the network and the addresses (an autoclosure:
/// built only when a call fails). Every descriptor it makes
/// is close-on-exec and non-blocking. Sends use MSG_NOSIGNAL, so SIGPIPE never fires (splice
/// cannot: see ``splice(from:to:count:operation:at:)``). In debug builds the calls that
/// tests need to fail go through ``FaultInjection`` first.
enum Syscall {
    /// Runs `call` until it does not fail with EINTR; returns the result or throws the errno.
    @inline(__always)
    static func retrying<T: BinaryInteger>(_ operation: String, _ endpoints: @autoclosure () -> NetError.Endpoints = .none,
                                           _ call: () -> T) throws(NetError) -> T {
        while true {
            let result = call()
            if result >= 0 { return result }
            let code = errno
            if code == EINTR { continue }
            throw NetError(.system(errno: code), operation: operation, at: endpoints())
        }
    }

    /// Like ``retrying(_:_:_:)`` but EAGAIN/EWOULDBLOCK becomes `.wouldBlock`.
    @inline(__always)
    static func nonBlocking<T: BinaryInteger & Sendable>(_ operation: String, _ endpoints: @autoclosure () -> NetError.Endpoints = .none,
                                                         _ call: () -> T) throws(NetError) -> IOResult<T> {
        while true {
            let result = call()
            if result >= 0 { return .processed(result) }
            let code = errno
            if code == EINTR { continue }
            if code == EAGAIN || code == EWOULDBLOCK { return .wouldBlock }
            throw NetError(.system(errno: code), operation: operation, at: endpoints())
        }
    }

    // MARK: sockets

    /// A new non-blocking, close-on-exec socket; its errors name `endpoints` (what it was for).
    static func socket(family: Int32, type: Int32, at endpoints: @autoclosure () -> NetError.Endpoints = .none) throws(NetError) -> Int32 {
        let kind = type | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        return try retrying("socket", endpoints()) { Glibc.socket(family, kind, 0) }
    }

    /// Binds `fd` to `address`; errors name `endpoints` (the network and `address` as local).
    static func bind(_ fd: Int32, to address: SocketAddress, at endpoints: @autoclosure () -> NetError.Endpoints) throws(NetError) {
        _ = try retrying("bind", endpoints()) {
            address.withSockAddr { Glibc.bind(fd, $0, $1) }
        }
    }

    static func listen(_ fd: Int32, backlog: Int32, address: SocketAddress) throws(NetError) {
        _ = try retrying("listen", .stream(local: address)) { Glibc.listen(fd, backlog) }
    }

    /// Accepts one connection as a non-blocking, close-on-exec socket with its peer address.
    static func accept(_ fd: Int32, listening: SocketAddress) throws(NetError) -> IOResult<(Int32, SocketAddress?)> {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let flags = Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let result = try withUnsafeMutablePointer(to: &storage) { pointer throws(NetError) in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address throws(NetError) in
                try nonBlocking("accept", .stream(local: listening)) { () -> Int32 in
                    #if EVENTLOOP_FAULT_INJECTION
                    if let code = FaultInjection.failure(.accept, fd: fd) { errno = code; return -1 }
                    #endif
                    return cel_accept4(fd, address, &length, flags)
                }
            }
        }
        switch result {
        case .wouldBlock: return .wouldBlock
        case .processed(let client):
            let peer = withUnsafePointer(to: &storage) { SocketAddress(storage: $0, length: length) }
            return .processed((client, peer))
        }
    }

    /// Starts a connect; true when it completed at once, false when it is in progress (EINPROGRESS).
    /// Errors name `address` and, when the socket was bound first, `local`.
    static func connect(_ fd: Int32, to address: SocketAddress, from local: SocketAddress? = nil) throws(NetError) -> Bool {
        while true {
            #if EVENTLOOP_FAULT_INJECTION
            let injected = FaultInjection.failure(.connect, fd: fd)
            if let injected { errno = injected }
            let result = injected != nil ? -1 : address.withSockAddr { Glibc.connect(fd, $0, $1) }
            #else
            let result = address.withSockAddr { Glibc.connect(fd, $0, $1) }
            #endif
            if result == 0 { return true }
            let code = errno
            if code == EINTR { continue }
            if code == EINPROGRESS || code == EAGAIN { return false }
            throw NetError(.system(errno: code), operation: "connect", at: .stream(local: local, remote: address))
        }
    }

    /// The pending error of a socket (SO_ERROR), 0 when none; reading it clears it.
    static func pendingError(_ fd: Int32) -> Int32 {
        (try? getIntOption(fd, level: SOL_SOCKET, name: SO_ERROR)) ?? EBADF
    }

    static func getIntOption(_ fd: Int32, level: Int32, name: Int32,
                             at endpoints: @autoclosure () -> NetError.Endpoints = .none) throws(NetError) -> Int32 {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        _ = try retrying("getsockopt", endpoints()) { getsockopt(fd, level, name, &value, &length) }
        return value
    }

    static func setIntOption(_ fd: Int32, level: Int32, name: Int32, value: Int32,
                             at endpoints: @autoclosure () -> NetError.Endpoints = .none) throws(NetError) {
        var value = value
        _ = try retrying("setsockopt", endpoints()) { setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size)) }
    }

    static func setLinger(_ fd: Int32, seconds: Int32?, at endpoints: @autoclosure () -> NetError.Endpoints = .none) throws(NetError) {
        var value = linger(l_onoff: seconds == nil ? 0 : 1, l_linger: seconds ?? 0)
        _ = try retrying("setsockopt", endpoints()) { setsockopt(fd, SOL_SOCKET, SO_LINGER, &value, socklen_t(MemoryLayout<linger>.size)) }
    }

    static func localAddress(_ fd: Int32) -> SocketAddress? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard result == 0 else { return nil }
        return withUnsafePointer(to: &storage) { SocketAddress(storage: $0, length: length) }
    }

    static func remoteAddress(_ fd: Int32) -> SocketAddress? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &length) }
        }
        guard result == 0 else { return nil }
        return withUnsafePointer(to: &storage) { SocketAddress(storage: $0, length: length) }
    }

    // MARK: data

    /// Reads from a stream socket with recv(2), which skips the VFS layer read(2) goes through
    /// (measurably less kernel time per call). Errors name the operation `read`.
    @inline(__always)
    static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer,
                     at endpoints: @autoclosure () -> NetError.Endpoints) throws(NetError) -> IOResult<Int> {
        try nonBlocking("read", endpoints()) {
            #if EVENTLOOP_FAULT_INJECTION
            if let injected = FaultInjection.recv(fd, buffer) { return injected }
            #endif
            return Glibc.recv(fd, buffer.baseAddress, buffer.count, 0)
        }
    }

    /// recv with MSG_PEEK: copies what the socket holds without consuming it.
    static func peek(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer,
                     at endpoints: @autoclosure () -> NetError.Endpoints) throws(NetError) -> IOResult<Int> {
        try nonBlocking("read", endpoints()) {
            Glibc.recv(fd, buffer.baseAddress, buffer.count, Int32(MSG_PEEK))
        }
    }

    @inline(__always)
    static func send(_ fd: Int32, _ buffer: UnsafeRawBufferPointer,
                     at endpoints: @autoclosure () -> NetError.Endpoints) throws(NetError) -> IOResult<Int> {
        try nonBlocking("write", endpoints()) {
            #if EVENTLOOP_FAULT_INJECTION
            if let injected = FaultInjection.send(fd, buffer) { return injected }
            #endif
            return Glibc.send(fd, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL))
        }
    }

    /// A gathering write of `count` iovecs with MSG_NOSIGNAL.
    static func sendv(_ fd: Int32, _ vectors: UnsafeMutablePointer<iovec>, count: Int,
                      at endpoints: @autoclosure () -> NetError.Endpoints) throws(NetError) -> IOResult<Int> {
        var message = msghdr()
        message.msg_iov = vectors
        message.msg_iovlen = count
        return try nonBlocking("write", endpoints()) {
            #if EVENTLOOP_FAULT_INJECTION
            if let injected = FaultInjection.sendmsg(fd, &message) { return injected }
            #endif
            return sendmsg(fd, &message, Int32(MSG_NOSIGNAL))
        }
    }

    static func shutdown(_ fd: Int32, how: Int32, at endpoints: @autoclosure () -> NetError.Endpoints) throws(NetError) {
        _ = try retrying("shutdown", endpoints()) { Glibc.shutdown(fd, how) }
    }

    /// Closes a descriptor. EINTR is not retried: on Linux the descriptor is gone either way.
    static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }

    static func unlink(_ path: String) {
        _ = Glibc.unlink(path)
    }

    // MARK: epoll and eventfd

    static func epollCreate() throws(NetError) -> Int32 {
        try retrying("epoll_create1") { epoll_create1(Int32(EPOLL_CLOEXEC)) }
    }

    /// Adds `fd` to `epoll`, watched for `interest`, its events carrying `data`.
    static func epollAdd(_ epoll: Int32, fd: Int32, interest: Readiness, data: UInt64) throws(NetError) {
        var event = epoll_event(events: interest.epollEvents, data: epoll_data_t(u64: data))
        _ = try retrying("epoll_ctl") { epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event) }
    }

    /// Changes what a registered `fd` is watched for.
    static func epollModify(_ epoll: Int32, fd: Int32, interest: Readiness, data: UInt64) throws(NetError) {
        var event = epoll_event(events: interest.epollEvents, data: epoll_data_t(u64: data))
        _ = try retrying("epoll_ctl") { epoll_ctl(epoll, EPOLL_CTL_MOD, fd, &event) }
    }

    static func epollRemove(_ epoll: Int32, fd: Int32) {
        var event = epoll_event()
        _ = epoll_ctl(epoll, EPOLL_CTL_DEL, fd, &event)
    }

    /// Waits for events; EINTR returns 0 events (the loop goes round again).
    static func epollWait(_ epoll: Int32, into events: UnsafeMutablePointer<epoll_event>, capacity: Int32, timeoutMilliseconds: Int32) -> Int {
        #if EVENTLOOP_FAULT_INJECTION
        if let code = FaultInjection.failure(.epollWait, fd: epoll) {
            errno = code
            return 0
        }
        #endif
        let result = epoll_wait(epoll, events, capacity, timeoutMilliseconds)
        return result < 0 ? 0 : Int(result)
    }

    static func eventFD() throws(NetError) -> Int32 {
        try retrying("eventfd") { eventfd(0, Int32(EFD_CLOEXEC) | Int32(EFD_NONBLOCK)) }
    }

    static func eventFDSignal(_ fd: Int32) {
        var one: UInt64 = 1
        _ = Glibc.write(fd, &one, 8)
    }

    static func eventFDDrain(_ fd: Int32) {
        var value: UInt64 = 0
        _ = Glibc.read(fd, &value, 8)
    }

    // MARK: process

    /// CPUs this process may run on (its affinity mask), at least 1.
    static func availableCPUCount() -> Int {
        let count = cel_sched_cpu_count()
        return count > 0 ? Int(count) : max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }

    /// Monotonic time in nanoseconds (CLOCK_MONOTONIC).
    @inline(__always)
    static func monotonicNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
    }

    /// Monotonic time in nanoseconds at the kernel tick's resolution (CLOCK_MONOTONIC_COARSE,
    /// 1–4 ms): a vDSO read of the last tick's time, several times cheaper than
    /// ``monotonicNanoseconds()``. For measuring spans of tens of milliseconds (stalls).
    @inline(__always)
    static func coarseMonotonicNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC_COARSE, &now)
        return UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
    }

    /// Writes `line` and a newline to the standard error stream (one write, unbuffered).
    static func writeStandardError(_ line: String) {
        var text = line
        text.append("\n")
        text.withUTF8 { bytes in _ = Glibc.write(2, bytes.baseAddress, bytes.count) }
    }

    /// Raises the soft RLIMIT_NOFILE to the hard limit; returns the new soft limit.
    @discardableResult
    static func raiseFileLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return -1 }
        if limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        return Int(limit.rlim_cur)
    }

    /// Ignores SIGPIPE process-wide. The library never calls it: ``Reactor/ignoreSIGPIPE()``
    /// is the application's opt-in.
    static func ignoreSIGPIPE() {
        _ = signal(SIGPIPE, SIG_IGN)
    }

    /// Blocks SIGPIPE for the calling thread only (reactor threads, at their start): a SIGPIPE
    /// the kernel raises at this thread then stays pending instead of ending the process.
    static func blockSIGPIPEOnThisThread() {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGPIPE)
        _ = pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// Takes a SIGPIPE pending on the calling thread (raised by a call that failed with EPIPE
    /// while SIGPIPE is blocked here), so none stays pending. Does not wait.
    static func discardPendingSIGPIPE() {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGPIPE)
        var pending = sigset_t()
        guard sigpending(&pending) == 0, sigismember(&pending, SIGPIPE) == 1 else { return }
        var noWait = timespec(tv_sec: 0, tv_nsec: 0)
        _ = sigtimedwait(&set, nil, &noWait)
    }
}

extension Syscall {
    /// A listening socket: SO_REUSEADDR, optionally SO_REUSEPORT, TCP_NODELAY and `options`
    /// (which Linux copies to every accepted connection, so there is no setsockopt per
    /// connection), bound and listening. On failure nothing stays open.
    static func listeningSocket(_ address: SocketAddress, backlog: Int32, reusePort: Bool,
                                options: TCPOptions = TCPOptions()) throws(NetError) -> Int32 {
        let fd = try socket(family: address.family, type: Int32(SOCK_STREAM.rawValue), at: .stream(local: address))
        do {
            if address.family != AF_UNIX {
                try setIntOption(fd, level: SOL_SOCKET, name: SO_REUSEADDR, value: 1)
                if reusePort { try setIntOption(fd, level: SOL_SOCKET, name: SO_REUSEPORT, value: 1) }
                try setIntOption(fd, level: Int32(IPPROTO_TCP), name: TCP_NODELAY, value: 1)
                try setTCPOptions(fd, options, at: .stream(local: address))
            }
            try bind(fd, to: address, at: .stream(local: address))
            try listen(fd, backlog: backlog, address: address)
            return fd
        } catch {
            close(fd)
            throw error
        }
    }

    /// Applies `options` to a TCP socket (dialled, or listening: Linux copies these to every
    /// accepted connection): SO_KEEPALIVE with TCP_KEEPIDLE, TCP_KEEPINTVL and TCP_KEEPCNT, and
    /// TCP_USER_TIMEOUT. Throws ``NetError`` (`.invalidOption` before anything is set, or the
    /// failing `setsockopt`'s errno). No syscall when `options` is empty.
    static func setTCPOptions(_ fd: Int32, _ options: TCPOptions,
                              at endpoints: @autoclosure () -> NetError.Endpoints) throws(NetError) {
        guard !options.isEmpty else { return }
        let values = try options.kernelValues()
        if let keepAlive = values.keepAlive {
            let tcp = Int32(IPPROTO_TCP)
            try setIntOption(fd, level: tcp, name: TCP_KEEPIDLE, value: keepAlive.idle, at: endpoints())
            try setIntOption(fd, level: tcp, name: TCP_KEEPINTVL, value: keepAlive.interval, at: endpoints())
            try setIntOption(fd, level: tcp, name: TCP_KEEPCNT, value: keepAlive.count, at: endpoints())
            try setIntOption(fd, level: SOL_SOCKET, name: SO_KEEPALIVE, value: 1, at: endpoints())
        }
        if values.userTimeoutMilliseconds > 0 {
            try setIntOption(fd, level: Int32(IPPROTO_TCP), name: TCP_USER_TIMEOUT,
                             value: values.userTimeoutMilliseconds, at: endpoints())
        }
    }

    /// Lowers or raises the soft RLIMIT_NOFILE (never above the hard limit); returns the new value.
    @discardableResult
    static func setFileLimit(_ value: Int) -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return -1 }
        limit.rlim_cur = rlim_t(min(UInt64(value), UInt64(limit.rlim_max)))
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        return Int(limit.rlim_cur)
    }
}

extension Syscall {
    /// The index of the network interface `name` (an IPv6 zone such as `eth0`), 0 when unknown.
    static func interfaceIndex(named name: String) -> UInt32 {
        if_nametoindex(name)
    }
}
