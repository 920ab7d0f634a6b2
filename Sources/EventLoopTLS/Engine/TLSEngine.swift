import COpenSSL
import EventLoop

/// How far one non-blocking TLS step got.
enum TLSProgress {
    /// Done: the bytes read or written (0 for a handshake or shutdown step).
    case done(Int)
    /// OpenSSL needs the socket to become readable first.
    case wantRead
    /// OpenSSL needs the socket to become writable first.
    case wantWrite
    /// The peer sent `close_notify`: the clean end of its stream.
    case ended
}

/// One connection's OpenSSL state (an SSL over a ``SocketBIOMethod`` BIO on the socket) and
/// the non-blocking steps both levels drive: handshake, read, write, shutdown. Reactor thread
/// only; each step is one OpenSSL call, O(bytes).
final class TLSEngine {
    let context: TLSContext
    let ssl: OpaquePointer
    let socket: StreamSocket
    /// Handler level: BIO writes go through ``StreamSocket/send(_:)`` (queued, never retried).
    var queuesWrites = false
    /// A transport error the BIO met, for the step that called it to throw.
    var transportError: NetError?
    /// The socket reached end of stream.
    var sawEndOfStream = false
    /// Clients: the session cache key (server name and address).
    let sessionKey: String?
    /// The handshake has completed.
    private(set) var handshakeDone = false
    /// What the handshake settled, once it is done.
    private(set) var info = TLSConnectionInfo()

    /// A client (`serverName` for SNI and verification) or server engine on `socket`.
    init(context: TLSContext, socket: StreamSocket, serverName: String?) throws(TLSError) {
        self.context = context
        self.socket = socket
        let configuration = context.configuration
        let isClient = configuration.role == .client
        sessionKey = isClient && configuration.sessionCache != nil
            ? "\(serverName ?? "")|\(socket.remoteAddress?.description ?? "")" : nil
        guard let ssl = SSL_new(context.defaultContext) else {
            throw TLSError(.handshakeFailed, operation: "handshake", local: socket.localAddress, remote: socket.remoteAddress,
                           reason: OpenSSLErrorQueue.drain(fallback: "SSL_new failed"))
        }
        self.ssl = ssl
        let bio = BIO_new(SocketBIOMethod.shared.method)!
        let this = Unmanaged.passUnretained(self).toOpaque()
        BIO_set_data(bio, this)
        SSL_set_bio(ssl, bio, bio)
        SSL_set_ex_data(ssl, 0, this)
        if isClient {
            SSL_set_connect_state(ssl)
            if let serverName {
                _ = eventloop_ssl_set_host_name(ssl, serverName)
                if configuration.verifiesPeer { _ = SSL_set1_host(ssl, serverName) }
            }
            if !context.alpnWire.isEmpty { _ = SSL_set_alpn_protos(ssl, context.alpnWire, UInt32(context.alpnWire.count)) }
            if let sessionKey, let box = configuration.sessionCache?.session(for: sessionKey) {
                _ = SSL_set_session(ssl, box.session)
            }
        } else {
            SSL_set_accept_state(ssl)
        }
    }

    deinit {
        SSL_free(ssl)  // frees the BIO too
    }

    // MARK: steps

    func handshake() throws -> TLSProgress {
        OpenSSLErrorQueue.clear()
        let result = SSL_do_handshake(ssl)
        if result == 1 {
            handshakeDone = true
            info = TLSConnectionInfo(ssl: ssl)
            return .done(0)
        }
        return try failure(result, "handshake")
    }

    func read(into space: UnsafeMutableRawBufferPointer) throws -> TLSProgress {
        OpenSSLErrorQueue.clear()
        var count = 0
        if SSL_read_ex(ssl, space.baseAddress, space.count, &count) == 1 { return .done(count) }
        return try failure(0, "read")
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws -> TLSProgress {
        OpenSSLErrorQueue.clear()
        var count = 0
        if SSL_write_ex(ssl, bytes.baseAddress, bytes.count, &count) == 1 { return .done(count) }
        return try failure(0, "write")
    }

    /// Sends `close_notify` (once); `.done` when it is out.
    func shutdown() throws -> TLSProgress {
        OpenSSLErrorQueue.clear()
        let result = SSL_shutdown(ssl)
        if result >= 0 { return .done(0) }
        return try failure(result, "close")
    }

    /// Plaintext OpenSSL holds already decrypted (readable without touching the socket).
    var pendingPlaintext: Int { Int(SSL_pending(ssl)) }

    /// Maps a failed step to progress, a `NetError` from the transport or a ``TLSError``.
    private func failure(_ result: Int32, _ operation: String) throws -> TLSProgress {
        let code = SSL_get_error(ssl, result)
        switch code {
        case SSL_ERROR_WANT_READ: return .wantRead
        case SSL_ERROR_WANT_WRITE: return .wantWrite
        case SSL_ERROR_ZERO_RETURN: return .ended
        default: break
        }
        if let error = transportError {
            transportError = nil
            OpenSSLErrorQueue.clear()
            throw error
        }
        let reason = OpenSSLErrorQueue.drain(fallback: "TLS failure (SSL error \(code))")
        if sawEndOfStream {
            if !handshakeDone { throw error(.handshakeFailed, operation, "the peer closed the connection during the handshake") }
            throw error(.truncated, operation, "the peer closed the connection without close_notify (truncated stream)")
        }
        if !handshakeDone {
            let verification = SSL_get_verify_result(ssl)
            if verification != X509_V_OK {
                throw error(.certificateVerificationFailed, operation,
                            "certificate verification failed: " + String(cString: X509_verify_cert_error_string(verification)))
            }
            throw error(.handshakeFailed, operation, reason)
        }
        throw error(.protocolError, operation, reason)
    }

    func error(_ code: TLSError.Code, _ operation: String, _ reason: String) -> TLSError {
        TLSError(code, operation: operation, local: socket.localAddress, remote: socket.remoteAddress, reason: reason)
    }
}
