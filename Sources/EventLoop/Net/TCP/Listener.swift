import Glibc
import Synchronization

/// Accepts stream connections (TCP over IPv4/IPv6, or a Unix path) on a ``ReactorGroup``.
///
/// For TCP it opens one socket per reactor with SO_REUSEPORT, so the kernel spreads new
/// connections over the cores and each connection stays on the reactor that accepted it.
/// A Unix path gets one socket whose connections are handed to the reactors round-robin.
/// Use ``accept()`` (Go's `Accept`), ``serve(_:)`` (one task per connection on its own
/// reactor, like `go handleConn(conn)`) or ``serveHandlers(_:)`` (callbacks, no task). Running
/// out of descriptors (EMFILE) pauses accepting for a moment and retries: no spinning, and the
/// listener keeps working once fds are free.
///
/// Thread safety: every method may be called from any thread.
public final class Listener: Sendable {
    /// Connections accepted and not yet taken by ``accept()`` before accepting pauses.
    public static let maxQueuedConnections = 128

    /// The bound address (with the real port when port 0 was asked for).
    public let address: SocketAddress
    /// The reactors connections are served on.
    public let reactors: [Reactor]
    private let cursor = Atomic<Int>(0)
    let socketPerReactor: Bool
    let state = Locked<State>(State())
    private let resourceFailureCount = Atomic<Int>(0)
    private let resourceFailureHandler = Locked<(@Sendable (NetError) -> Void)?>(nil)

    enum Mode {
        case queue
        case serveTasks(@Sendable (TCPConn) async -> Void)
        case serveHandlers(@Sendable (StreamSocket) -> any StreamHandler)
        case serveCallbacks(@Sendable (TCPConn) -> Void)
    }

    struct State {
        var mode = Mode.queue
        var acceptors: [Acceptor] = []
        var openAcceptors = 0
        var ready: [TCPConn] = []
        /// Tasks waiting in ``accept()``, oldest first, each parked on its own ``IOWaiter``.
        var waiters: [IOWaiter] = []
        var paused: [Acceptor] = []
        var closed = false
        var closeWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private init(address: SocketAddress, reactors: [Reactor], socketPerReactor: Bool) {
        self.address = address
        self.reactors = reactors
        self.socketPerReactor = socketPerReactor
    }

    /// Starts listening on `address` (port 0 picks a free port; read it back from ``address``).
    ///
    /// - Parameters:
    ///   - address: the local address to bind (IPv4, IPv6 or `unix:` path).
    ///   - group: the reactors that serve the accepted connections.
    ///   - backlog: the kernel's queue of connections not yet accepted.
    ///   - reusePort: one socket per reactor with SO_REUSEPORT (TCP only; set on the socket of
    ///     a one-reactor group too, so another process may listen on the same address while this
    ///     one runs, as a hand-over to a new version does); false opens one
    ///     socket and hands connections out round-robin.
    /// - Throws: ``NetError`` naming `socket`, `bind` or `listen`, the address and the errno;
    ///   `.shuttingDown` once the group's shutdown has begun (no descriptor is left open).
    public static func listen(_ address: SocketAddress, group: ReactorGroup, backlog: Int32 = 1024,
                              reusePort: Bool = true) async throws -> Listener {
        try await listen(address, reactors: group.reactors, backlog: backlog, reusePort: reusePort)
    }

    /// Listens with one reactor serving every connection.
    public static func listen(_ address: SocketAddress, on reactor: Reactor, backlog: Int32 = 1024) async throws -> Listener {
        try await listen(address, reactors: [reactor], backlog: backlog, reusePort: false)
    }

    static func listen(_ address: SocketAddress, reactors: [Reactor], backlog: Int32, reusePort: Bool) async throws -> Listener {
        precondition(!reactors.isEmpty, "a listener needs a reactor")
        if reactors.contains(where: \.isShuttingDown) {
            throw NetError(.shuttingDown, operation: "listen", at: .stream(local: address))
        }
        let perReactor = reusePort && address.family != AF_UNIX && reactors.count > 1
        // SO_REUSEPORT even for one socket: a second process can then take over the address.
        let firstFD = try Syscall.listeningSocket(address, backlog: backlog, reusePort: reusePort && address.family != AF_UNIX)
        let bound = (address.family == AF_UNIX ? address : Syscall.localAddress(firstFD)) ?? address
        var descriptors = [firstFD]
        do {
            if perReactor {
                for _ in 1..<reactors.count {
                    descriptors.append(try Syscall.listeningSocket(bound, backlog: backlog, reusePort: true))
                }
            }
        } catch {
            descriptors.forEach(Syscall.close)
            throw error
        }
        let listener = Listener(address: bound, reactors: reactors, socketPerReactor: perReactor)
        // Descriptors handed to an acceptor (which closes its own on failure); a submit refused
        // by a shutting-down reactor never takes its descriptor.
        let handedOver = Locked<Int>(0)
        do {
            for (index, fd) in descriptors.enumerated() {
                let reactor = perReactor ? reactors[index] : reactors[0]
                try await reactor.submit {
                    handedOver.withLock { $0 = index + 1 }
                    let acceptor = try Acceptor(fd: fd, address: bound, reactor: reactor, listener: listener)
                    listener.state.withLock {
                        $0.acceptors.append(acceptor)
                        $0.openAcceptors += 1
                    }
                }
            }
        } catch {
            descriptors[handedOver.withLock { $0 }...].forEach(Syscall.close)
            listener.close()
            if let error = error as? NetError, error.code == .shuttingDown {
                throw NetError(.shuttingDown, operation: "listen", at: .stream(local: bound))
            }
            throw error
        }
        return listener
    }

    /// Parses `text` (see ``SocketAddress/init(_:)``) and listens on it.
    public static func listen(_ text: String, group: ReactorGroup, backlog: Int32 = 1024,
                              reusePort: Bool = true) async throws -> Listener {
        try await listen(SocketAddress(text), group: group, backlog: backlog, reusePort: reusePort)
    }

    /// Persistent accept failures so far (out of descriptors or memory, EPERM, …): each one
    /// pauses accepting for a backoff period (50 ms) and counts once.
    public var resourceFailures: Int { resourceFailureCount.load(ordering: .relaxed) }

    // MARK: accepting

    /// Waits for the next connection. The connection lives on the reactor that accepted it.
    ///
    /// Throws ``NetError`` `.closed` once ``close()`` was called (also for a pending call, and
    /// when a reactor shutdown closed the listening sockets under it), `.shuttingDown` when
    /// called once the shutdown of the listener's reactors has begun, and `CancellationError`
    /// when the task is cancelled.
    public func accept() async throws -> TCPConn {
        if reactors.contains(where: \.isShuttingDown) {
            throw NetError(.shuttingDown, operation: "accept", at: .stream(local: address))
        }
        let conn = acceptHome.isCurrent ? try await acceptOnHome() : try await acceptAfterHop()
        resumePausedAcceptorsIfRoom()
        return conn
    }

    /// Serves every connection with `handler`, each in its own task on the connection's reactor
    /// (no thread hops inside the handler); the connection is closed when `handler` returns.
    /// Returns once the listener is closed. Connections already waiting for ``accept()`` are
    /// served too.
    ///
    /// Nothing outside holds these tasks, so nothing can cancel them: to end a connection,
    /// close it (pending calls then throw `.closed`). Their waits therefore skip the per-wait
    /// cancellation handler, which keeps a read or write that has to wait cheap; tasks the
    /// handler starts itself keep the usual cancellation.
    public func serve(_ handler: @escaping @Sendable (TCPConn) async -> Void) async {
        for conn in switchMode(to: .serveTasks(handler)) { Listener.startTask(for: conn, handler) }
        await waitUntilClosed()
    }

    /// Serves every connection at the handler level: `makeHandler` runs on the connection's
    /// reactor thread and its ``StreamHandler`` receives the callbacks. Returns immediately;
    /// ``close()`` stops accepting (open connections stay until they close).
    public func serveHandlers(_ makeHandler: @escaping @Sendable (StreamSocket) -> any StreamHandler) {
        for conn in switchMode(to: .serveHandlers(makeHandler)) {
            conn.reactor.execute { Listener.handOver(conn, to: makeHandler) }
        }
    }

    /// Serves every connection without a task: `handler` runs on the connection's reactor
    /// thread as soon as it is accepted, and from then on owns it (nothing closes it for the
    /// handler). For programs that drive connections with the reactor-thread calls, such as
    /// ``Dialer/dial(_:on:completion:)`` and ``TCPConn/relay(with:options:completion:)``: a
    /// proxy then pays no task per client. Returns immediately; ``close()`` stops accepting
    /// (open connections stay until they close).
    public func serveConnections(_ handler: @escaping @Sendable (TCPConn) -> Void) {
        for conn in switchMode(to: .serveCallbacks(handler)) {
            conn.reactor.execute { handler(conn) }
        }
    }

    /// Sets how new connections are served, lets acceptors paused on a full queue go on, and
    /// returns the connections that were waiting for ``accept()``.
    private func switchMode(to mode: Mode) -> [TCPConn] {
        let (queued, paused) = state.withLock { state -> ([TCPConn], [Acceptor]) in
            state.mode = mode
            defer { state.ready.removeAll(); state.paused.removeAll() }
            return (state.ready, state.paused)
        }
        paused.forEach { acceptor in acceptor.reactor.execute { acceptor.resume() } }
        return queued
    }

    /// Moves an accepted connection from the async level to a handler (reactor thread only).
    private static func handOver(_ conn: TCPConn, to makeHandler: @Sendable (StreamSocket) -> any StreamHandler) {
        conn.socket.delegate = .none
        conn.socket.setHandler(makeHandler(conn.socket))
    }

    /// Suspends until ``close()`` has closed every listening socket.
    public func waitUntilClosed() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { state -> Bool in
                if state.closed && state.openAcceptors == 0 { return true }
                state.closeWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    /// Stops accepting: closes the listening sockets (and unlinks a Unix path), fails pending
    /// ``accept()`` calls with `.closed` and closes connections nobody accepted yet.
    /// Connections already handed out stay open. Idempotent.
    public func close() {
        let (acceptors, waiters, ready) = state.withLock { state in
            let taken = (state.acceptors, state.waiters, state.ready)
            state.closed = true
            state.waiters.removeAll()
            state.ready.removeAll()
            state.paused.removeAll()
            return taken
        }
        for acceptor in acceptors { acceptor.reactor.execute { acceptor.close() } }
        for waiter in waiters {
            Listener.onReactor(of: waiter) { $0.fail(.read, NetError(.closed, operation: "accept", at: .stream(local: self.address))) }
        }
        for conn in ready { conn.close() }
        if let path = address.path { Syscall.unlink(path) }
        finishCloseIfDone()
    }

    // MARK: from the acceptors (on their reactor threads)

    /// Takes a new connection; returns false when the accept queue is full (pause accepting).
    func deliver(fd: Int32, peer: SocketAddress?, from acceptor: Acceptor) -> Bool {
        let mode = state.withLock { $0.mode }
        if case .queue = mode {
            return enqueue(fd: fd, peer: peer, from: acceptor)
        }
        let target = socketPerReactor ? acceptor.reactor : nextReactor()
        if target === acceptor.reactor {
            adopt(fd: fd, peer: peer, on: target, mode: mode)
        } else {
            acceptor.reactor.socketsOpen.subtract(1, ordering: .relaxed)
            target.socketsOpen.add(1, ordering: .relaxed)
            target.execute { self.adopt(fd: fd, peer: peer, on: target, mode: mode) }
        }
        return true
    }

    private func enqueue(fd: Int32, peer: SocketAddress?, from acceptor: Acceptor) -> Bool {
        guard let conn = makeConn(fd: fd, peer: peer, on: acceptor.reactor) else { return true }
        let (waiter, room, mode) = state.withLock { state -> (IOWaiter?, Bool, Mode) in
            if case .queue = state.mode {} else { return (nil, true, state.mode) }
            if state.closed { return (nil, true, state.mode) }
            state.ready.append(conn)
            let room = state.ready.count < Listener.maxQueuedConnections
            if !room { state.paused.append(acceptor) }
            // The oldest waiting accept is woken and takes a connection from the queue.
            return (state.waiters.isEmpty ? nil : state.waiters.removeFirst(), room, state.mode)
        }
        if let waiter {
            Listener.onReactor(of: waiter) { $0.resumeReady(.read) }
        } else if case .queue = mode {
            if state.withLock({ $0.closed }) { conn.close() }
        } else {
            Listener.serve(conn, in: mode)
        }
        return room
    }

    private func nextReactor() -> Reactor {
        reactors[cursor.wrappingAdd(1, ordering: .relaxed).oldValue % reactors.count]
    }

    private func adopt(fd: Int32, peer: SocketAddress?, on reactor: Reactor, mode: Mode) {
        // Handed to a reactor that stopped meanwhile: this runs on its fallback queue.
        guard reactor.isCurrent else { return reactor.closeSocket(fd) }
        switch mode {
        case .queue:
            break  // `deliver` queues instead.
        case .serveHandlers(let makeHandler):
            // A handler needs the socket only: no connection object.
            guard let socket = makeSocket(fd: fd, peer: peer, on: reactor) else { return }
            socket.setHandler(makeHandler(socket))
        case .serveTasks, .serveCallbacks:
            guard let conn = makeConn(fd: fd, peer: peer, on: reactor) else { return }
            Listener.serve(conn, in: mode)
        }
    }

    /// Hands an accepted connection to the way `mode` serves it (reactor thread only).
    private static func serve(_ conn: TCPConn, in mode: Mode) {
        switch mode {
        case .queue: break
        case .serveTasks(let handler): startTask(for: conn, handler)
        case .serveHandlers(let makeHandler): handOver(conn, to: makeHandler)
        case .serveCallbacks(let handler): handler(conn)
        }
    }

    /// TCP_NODELAY comes from the listening socket (Linux copies it to accepted connections).
    private func makeSocket(fd: Int32, peer: SocketAddress?, on reactor: Reactor) -> StreamSocket? {
        try? StreamSocket(adopting: fd, reactor: reactor, local: knownLocalAddress, remote: peer)
    }

    /// The local address of every accepted connection when the listener is bound to one IP
    /// address (no getsockname per connection); nil for a wildcard or Unix listener.
    private var knownLocalAddress: SocketAddress? {
        if let ip = address.ipv4Value { return ip == 0 ? nil : address }
        if let ip = address.ipv6Value { return ip == 0 ? nil : address }
        return nil
    }

    private func makeConn(fd: Int32, peer: SocketAddress?, on reactor: Reactor) -> TCPConn? {
        makeSocket(fd: fd, peer: peer, on: reactor).map(TCPConn.init(socket:))
    }

    private static func startTask(for conn: TCPConn, _ handler: @escaping @Sendable (TCPConn) async -> Void) {
        Task(executorPreference: conn.reactor) {
            conn.beginServing()
            await handler(conn)
            conn.endServing()
            conn.close()
        }
    }

    /// Calls `handler` (on a reactor thread) each time accepting pauses on a persistent error
    /// (EMFILE, ENFILE, ENOBUFS, ENOMEM, EPERM, any errno but the per-connection ones such as
    /// ECONNABORTED): once per pause, at most about 20 a second per listening socket.
    public func onResourceExhausted(_ handler: @escaping @Sendable (NetError) -> Void) {
        resourceFailureHandler.withLock { $0 = handler }
    }

    /// Once the accept queue has drained to half, lets acceptors paused on a full queue go on.
    private func resumePausedAcceptorsIfRoom() {
        let paused = state.withLock { state -> [Acceptor] in
            guard state.ready.count < Listener.maxQueuedConnections / 2 else { return [] }
            defer { state.paused.removeAll() }
            return state.paused
        }
        paused.forEach { acceptor in acceptor.reactor.execute { acceptor.resume() } }
    }

    func noteResourceFailure(_ error: NetError) {
        resourceFailureCount.add(1, ordering: .relaxed)
        resourceFailureHandler.withLock { $0 }?(error)
    }

    func acceptorClosed(_ acceptor: Acceptor) {
        let remaining = state.withLock { state -> Int in
            state.openAcceptors -= 1
            return state.openAcceptors
        }
        // The last listening socket is gone (close or reactor shutdown): nothing more arrives.
        if remaining == 0 { close() }
    }

    private func finishCloseIfDone() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard state.closed && state.openAcceptors == 0 else { return [] }
            state.acceptors.removeAll()  // breaks the listener <-> acceptor cycle
            state.mode = .queue          // and drops the serve closure, which may capture the listener
            defer { state.closeWaiters.removeAll() }
            return state.closeWaiters
        }
        waiters.forEach { $0.resume() }
    }
}
