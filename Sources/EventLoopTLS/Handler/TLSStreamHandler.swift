/// Callbacks for one ``TLSStream``, called on its reactor thread only: the handler level of
/// EventLoopTLS, for code that wants no tasks at all.
///
/// ``handshakeCompleted(_:)`` comes once, before any data; ``received(_:_:)`` brings each run
/// of decrypted bytes (valid only during the call); ``writable(_:)`` comes when every byte
/// queued by ``TLSStream/send(_:)`` has reached the kernel (the moment to resume after
/// back-pressure); ``inputEnded(_:)`` comes when the peer's `close_notify` arrives, while the
/// handler may still send; ``closed(_:error:)`` comes once, at the end: `error` is nil after the
/// peer's `close_notify` or a local close, a ``TLSError`` (``TLSError/Code/truncated`` for a
/// TCP close without `close_notify`) or a `NetError` (the handshake timeout: `.timeout`).
public protocol TLSStreamHandler: AnyObject {
    /// The handshake has completed; ``TLSStream/info`` is set.
    func handshakeCompleted(_ stream: TLSStream)
    /// Decrypted bytes arrived. The pointer is valid only during the call.
    func received(_ stream: TLSStream, _ bytes: UnsafeRawBufferPointer)
    /// Every queued byte has been written.
    func writable(_ stream: TLSStream)
    /// The peer sent `close_notify`: no more bytes will arrive. The handler may still
    /// ``TLSStream/send(_:)`` its last answer (to a final line without a newline, say); when
    /// this returns, the stream sends its own `close_notify` after everything queued and closes.
    func inputEnded(_ stream: TLSStream)
    /// The stream ended; the socket is closed.
    func closed(_ stream: TLSStream, error: (any Error)?)
}

extension TLSStreamHandler {
    /// Default: nothing to do.
    public func handshakeCompleted(_ stream: TLSStream) {}
    /// Default: nothing to do.
    public func writable(_ stream: TLSStream) {}
    /// Default: nothing to do.
    public func inputEnded(_ stream: TLSStream) {}
    /// Default: nothing to do.
    public func closed(_ stream: TLSStream, error: (any Error)?) {}
}
