import COpenSSL

/// What a completed handshake settled: version, ALPN protocol, the peer's certificate subject,
/// the server name the client asked for, whether the session was resumed. A value, readable
/// from any thread.
public struct TLSConnectionInfo: Sendable, Hashable {
    /// The protocol version in use (nil before the handshake).
    public var version: TLSVersion?
    /// The ALPN protocol both sides agreed on, or nil when none was negotiated.
    public var negotiatedProtocol: String?
    /// The subject of the peer's certificate, one line (`/CN=client`), or nil when the peer
    /// presented none (clients usually do not, unless mutual TLS asks them to).
    public var peerCertificateSubject: String?
    /// The server name (SNI) the client sent, or nil.
    public var serverName: String?
    /// True when the handshake resumed an earlier session (no certificates were exchanged).
    public var sessionReused = false

    /// No handshake yet.
    public init() {}

    init(ssl: OpaquePointer) {
        version = SSL_version(ssl) == TLS1_3_VERSION ? .tls13 : .tls12
        var pointer: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &pointer, &length)
        if let pointer, length > 0 {
            negotiatedProtocol = String(decoding: UnsafeBufferPointer(start: pointer, count: Int(length)), as: UTF8.self)
        }
        if let certificate = SSL_get1_peer_certificate(ssl) {
            peerCertificateSubject = TLSCertifiedKey.subjectLine(of: certificate)
            X509_free(certificate)
        }
        if let name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name) { serverName = String(cString: name) }
        sessionReused = SSL_session_reused(ssl) == 1
    }
}
