/// The outcome of a non-blocking call: it did something, or the socket was not ready.
///
/// EAGAIN/EWOULDBLOCK is this `.wouldBlock`, never an error.
public enum IOResult<Value: Sendable>: Sendable {
    /// The call completed with this value (for reads, 0 means end of stream).
    case processed(Value)
    /// The call would have blocked; wait for readiness and try again.
    case wouldBlock
}
