import EventLoop
import Synchronization

/// The idle timeout at the handler level (the async level uses `TCPConn.setIdleTimeout`):
/// one reactor timer per connection, due `timeout` after the socket's last activity. When it
/// fires early (there was activity since) it re-arms for the new due time, so nothing is done
/// per message: the library stamps the activity anyway.
final class IdleWatch: Sendable {
    private let socket: StreamSocket
    private let timeout: Duration
    private let onIdle: @Sendable () -> Void
    /// Only touched on the socket's reactor thread; the lock makes that checkable, not faster.
    private let timer = Locked<ScheduledTimer?>(nil)

    /// Watches `socket`; `onIdle` runs (on the reactor thread) right before an idle close.
    init(_ socket: StreamSocket, timeout: Duration, onIdle: @escaping @Sendable () -> Void) {
        self.socket = socket
        self.timeout = timeout
        self.onIdle = onIdle
    }

    /// Arms the first timer, `timeout` from now.
    func start() { arm(at: .after(timeout)) }

    /// Cancels the timer (when the connection closed or stopped needing it).
    func stop() {
        timer.withLock { timer in
            timer?.cancel()
            timer = nil
        }
    }

    private func arm(at deadline: Deadline) {
        let scheduled = socket.reactor.schedule(at: deadline) { [self] in fire() }
        timer.withLock { $0 = scheduled }
    }

    private func fire() {
        guard socket.isOpen else { return }
        let due = Deadline(nanoseconds: socket.lastActivity) + timeout
        if due.hasPassed {
            timer.withLock { $0 = nil }
            onIdle()
            socket.close()
        } else {
            arm(at: due)
        }
    }
}
