/// A connect in progress without a task (``Dialer/dial(_:on:completion:)``): it waits for the
/// connection's writable event, keeps the dialer's timeout on the reactor's timing wheel, and
/// calls its completion exactly once. Reactor thread only.
final class ConnectAttempt: TimerTarget {
    let conn: TCPConn
    /// The connect for its errors: the network, the address and the dialer's local address.
    private let endpoints: NetError.Endpoints
    /// What a timeout names instead of the address (the dialled text), when given.
    private let label: String?
    private var completion: ((Result<TCPConn, NetError>) -> Void)?
    private var timer: TimerHandle?

    init(conn: TCPConn, endpoints: NetError.Endpoints, label: String?, completion: @escaping (Result<TCPConn, NetError>) -> Void) {
        self.conn = conn
        self.endpoints = endpoints
        self.label = label
        self.completion = completion
    }

    /// Waits for the handshake (and arms the timeout, if any).
    func start(timeout: Duration?) {
        conn.socket.writeReady = false
        conn.connectAttempt = self
        if let timeout {
            let reactor = conn.reactor
            timer = reactor.scheduleTimer(atNanoseconds: reactor.clockNanoseconds() &+ timeout.positiveNanoseconds, .target(self, .primary))
        }
    }

    /// The socket turned writable: the handshake ended, one way or the other.
    func writable() {
        if let error = Dialer.handshakeError(of: conn, at: endpoints) {
            return fail(error)
        }
        finish(.success(conn))
    }

    /// The connection was closed (locally, or its reactor stopped) before the handshake ended.
    func closed(_ error: NetError) {
        fail(error)
    }

    /// The dialer's timeout passed first.
    func timerFired(_ tag: TimerTag) {
        timer = nil
        guard completion != nil else { return }
        fail(NetError(.timeout, operation: "connect", at: endpoints.labelled(label)))
    }

    /// Detaches from the connection first, so that closing it reports nothing back here
    /// (closing a connection that is already closed does nothing).
    private func fail(_ error: NetError) {
        detach()
        conn.close()
        completion.take()?(.failure(error))
    }

    private func finish(_ result: Result<TCPConn, NetError>) {
        detach()
        completion.take()?(result)
    }

    private func detach() {
        if conn.connectAttempt === self { conn.connectAttempt = nil }
        if let timer {
            conn.reactor.cancelTimer(timer)
            self.timer = nil
        }
    }
}
