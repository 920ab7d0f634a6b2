import EventLoop
import Synchronization

/// A throwaway server for a test: listening on port 0, running the test's handler for each
/// connection. Made and ended by ``withTestServer(group:address:timeout:handler:_:)``.
///
/// Thread-safe.
public final class TestServer: Sendable {
    /// Where it listens, with the port the kernel chose: dial this.
    public let address: SocketAddress
    /// The reactors serving it (and dialling from it, with ``dial()``).
    public let group: ReactorGroup
    private let listener: Listener
    private let state = Mutex(State())

    private struct State {
        var open: [ObjectIdentifier: TCPConn] = [:]
        var accepted = 0
        var running = 0
        var closing = false
        var errors: [any Error] = []
        var idleWaiters: [CheckedContinuation<Void, Never>] = []
    }

    init(listener: Listener, group: ReactorGroup) {
        self.listener = listener
        self.address = listener.address
        self.group = group
    }

    /// Connections accepted so far.
    public var connectionsAccepted: Int { state.withLock { $0.accepted } }

    /// Handlers running now (a handler ends when it returns or throws).
    public var handlersRunning: Int { state.withLock { $0.running } }

    /// What the handlers threw so far, in order (errors caused by the server's own shutdown are
    /// not counted).
    public var handlerErrors: [any Error] { state.withLock { $0.errors } }

    /// Dials the server from `group` with a default `Dialer`; the caller closes the connection.
    public func dial() async throws -> TCPConn {
        try await Dialer().dial(address, group: group)
    }

    func start(_ handler: @escaping @Sendable (TCPConn) async throws -> Void) {
        let server = self
        Task { await server.listener.serve { conn in await server.run(handler, on: conn) } }
    }

    private func run(_ handler: @Sendable (TCPConn) async throws -> Void, on conn: TCPConn) async {
        let id = ObjectIdentifier(conn)
        let closing = state.withLock { state -> Bool in
            state.accepted += 1
            state.running += 1
            state.open[id] = conn
            return state.closing
        }
        if closing { conn.close() }
        do {
            try await handler(conn)
        } catch {
            state.withLock { state in if !state.closing { state.errors.append(error) } }
        }
        conn.close()
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.open[id] = nil
            state.running -= 1
            guard state.running == 0 else { return [] }
            defer { state.idleWaiters.removeAll() }
            return state.idleWaiters
        }
        waiters.forEach { $0.resume() }
    }

    /// Stops accepting, closes the connections still open (their handlers' pending calls fail),
    /// and waits until every handler has returned.
    func stop() async {
        listener.close()
        await listener.waitUntilClosed()
        let open = state.withLock { state -> [TCPConn] in
            state.closing = true
            return Array(state.open.values)
        }
        open.forEach { $0.close() }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let idle = state.withLock { state -> Bool in
                if state.running == 0 { return true }
                state.idleWaiters.append(continuation)
                return false
            }
            if idle { continuation.resume() }
        }
    }
}

/// What ``withTestServer(group:address:timeout:handler:_:)`` throws when a handler threw.
public struct TestServerHandlerError: Error, CustomStringConvertible {
    /// What the handlers threw, in order.
    public let errors: [any Error]
    /// `handler failed: …`.
    public var description: String { "handler failed: " + errors.map { "\($0)" }.joined(separator: "; ") }
}

/// Runs `body` with a ``TestServer`` listening on `address` (127.0.0.1, port 0 by default) that
/// serves every connection with `handler`, each in its own task on the connection's reactor;
/// the connection is closed when the handler returns.
///
/// When `body` returns (or throws, or `seconds` pass) the server stops accepting, closes the
/// connections still open, waits for every handler to return, and then checks for leaks:
/// without `group` it ran on a fresh one-reactor group, which must end with no socket, no
/// pooled buffer and no thread left (``LeakCheck/expectNoLeaks(_:within:)``); with `group`,
/// every connection it served is closed and the group is left to its owner's leak check.
///
/// Throws what `body` throws, ``TimeoutError`` when the whole took longer than `seconds`,
/// ``LeakError``, or ``TestServerHandlerError`` when a handler threw (unless the body threw).
@discardableResult
public func withTestServer<T: Sendable>(
    group: ReactorGroup? = nil,
    address: SocketAddress = .loopbackIPv4(),
    timeout seconds: Double = 30,
    handler: @escaping @Sendable (TCPConn) async throws -> Void,
    _ body: @escaping @Sendable (TestServer) async throws -> T
) async throws -> T {
    guard let group else {
        return try await withReactorGroup(timeout: seconds) { group in
            try await runTestServer(group: group, address: address, timeout: seconds, handler: handler, body)
        }
    }
    return try await runTestServer(group: group, address: address, timeout: seconds, handler: handler, body)
}

private func runTestServer<T: Sendable>(
    group: ReactorGroup, address: SocketAddress, timeout seconds: Double,
    handler: @escaping @Sendable (TCPConn) async throws -> Void,
    _ body: @escaping @Sendable (TestServer) async throws -> T
) async throws -> T {
    let server = TestServer(listener: try await Listener.listen(address, group: group), group: group)
    server.start(handler)
    let result: Result<T, any Error>
    do {
        result = .success(try await withTimeout(seconds) { try await body(server) })
    } catch {
        result = .failure(error)
    }
    try await withTimeout(seconds) { await server.stop() }
    let value = try result.get()
    let errors = server.handlerErrors
    if !errors.isEmpty { throw TestServerHandlerError(errors: errors) }
    return value
}
