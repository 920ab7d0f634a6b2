/// What a reactor timer does when it fires: one enum, so the hot timers (connection deadlines)
/// cost no closure allocation.
enum TimerAction {
    /// Run a closure.
    case closure(() -> Void)
    /// A connection's read deadline may have passed.
    case readDeadline(TCPConn)
    /// A connection's write deadline may have passed.
    case writeDeadline(TCPConn)
    /// A datagram connection's read (true) or write (false) deadline may have passed.
    case datagramDeadline(UDPConn, reading: Bool)
    /// Resume a task sleeping on the reactor.
    case wake(SleepState)
    /// A relay's idle timeout may have passed.
    case relayIdle(RelaySession)
    /// A connect without a task reached the dialer's timeout.
    case connectTimeout(ConnectAttempt)
}

/// A task sleeping on a reactor until a deadline (reactor thread only).
final class SleepState {
    var continuation: UnsafeContinuation<Void, any Error>?
    var handle: TimerHandle?
}

/// A timer scheduled on a reactor; identifies it for cancelling.
public struct TimerHandle: Sendable, Hashable {
    let wheel: TimingWheel<TimerAction>.Handle
}
