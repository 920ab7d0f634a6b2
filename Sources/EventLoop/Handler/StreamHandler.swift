/// Callbacks for one stream socket, called on its reactor thread only: the handler level of
/// the library, for code that wants no tasks at all (the async ``TCPConn`` is built on the
/// same ``StreamSocket``).
///
/// Contract: ``readable(_:)`` is called when data (or end of stream, or an error) may be
/// read; read with ``StreamSocket/read(into:)`` until it returns `.wouldBlock`. A socket
/// that still has data after ``Reactor/maxReadsPerEvent`` reads answers `.wouldBlock` and
/// calls ``readable(_:)`` again on the next pass, so one busy peer cannot starve the others.
/// ``writable(_:)`` is called when bytes queued with ``StreamSocket/send(_:)`` have all
/// been written (the moment to resume reading after back-pressure).
/// ``closed(_:error:)`` is called once, after the descriptor is closed.
public protocol StreamHandler: AnyObject {
    /// The socket may be read.
    func readable(_ socket: StreamSocket)
    /// Every queued byte has been written.
    func writable(_ socket: StreamSocket)
    /// The socket was closed: `error` is nil after a local `close()`, otherwise why it ended.
    func closed(_ socket: StreamSocket, error: NetError?)
}

extension StreamHandler {
    /// Default: nothing to do.
    public func writable(_ socket: StreamSocket) {}
    /// Default: nothing to do.
    public func closed(_ socket: StreamSocket, error: NetError?) {}
}
