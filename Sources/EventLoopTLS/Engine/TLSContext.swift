import COpenSSL

// @unchecked Sendable: the SSL_CTX objects are configured in `init` and only read afterwards
// (OpenSSL allows SSL_new on one context from many threads); the session cache is a mutex.
/// A compiled ``TLSConfiguration``: the OpenSSL context(s) every connection made with it
/// shares. Build one per configuration and reuse it: making it loads trust stores and
/// certificates, a connection only refers to it.
///
/// Throws ``TLSConfigurationError`` for what only shows when the configuration is compiled
/// (an unreadable CA file, a server without a certificate, an ALPN name of the wrong length).
/// Immutable; any thread.
public final class TLSContext: @unchecked Sendable {
    /// The configuration this context was made from.
    public let configuration: TLSConfiguration
    /// The context for the default certificate (SSL_CTX*).
    let defaultContext: OpaquePointer
    /// Servers: a context per lower-cased server name (SSL_CTX*).
    let contextsByName: [String: OpaquePointer]
    /// The ALPN list in wire format (length-prefixed names).
    let alpnWire: [UInt8]

    /// Compiles `configuration`. Throws ``TLSConfigurationError``.
    public init(_ configuration: TLSConfiguration) throws(TLSConfigurationError) {
        self.configuration = configuration
        var wire: [UInt8] = []
        for name in configuration.applicationProtocols {
            let bytes = Array(name.utf8)
            guard (1...255).contains(bytes.count) else {
                throw TLSConfigurationError(file: nil, reason: "ALPN protocol name '\(name)' must be 1 to 255 bytes")
            }
            wire.append(UInt8(bytes.count))
            wire.append(contentsOf: bytes)
        }
        alpnWire = wire
        guard configuration.minimumVersion <= configuration.maximumVersion else {
            throw TLSConfigurationError(file: nil, reason: "minimum version above maximum version")
        }
        if configuration.role == .server && configuration.certificate == nil {
            throw TLSConfigurationError(file: nil, reason: "a server needs a certificate")
        }
        let main = try TLSContext.makeContext(configuration, certificate: configuration.certificate)
        var byName: [String: OpaquePointer] = [:]
        do {
            if configuration.role == .server {
                for (name, certificate) in configuration.certificatesByServerName {
                    byName[name.lowercased()] = try TLSContext.makeContext(configuration, certificate: certificate)
                }
            }
        } catch {
            SSL_CTX_free(main)
            byName.values.forEach { SSL_CTX_free($0) }
            throw error
        }
        defaultContext = main
        contextsByName = byName
        // Callbacks get this object as their argument: it outlives every SSL made from it
        // (each connection holds its context).
        let this = Unmanaged.passUnretained(self).toOpaque()
        for context in [main] + Array(byName.values) { installCallbacks(context, argument: this) }
    }

    deinit {
        SSL_CTX_free(defaultContext)
        contextsByName.values.forEach { SSL_CTX_free($0) }
    }

    private static func makeContext(_ configuration: TLSConfiguration, certificate: TLSCertifiedKey?) throws(TLSConfigurationError) -> OpaquePointer {
        let method = configuration.role == .server ? TLS_server_method() : TLS_client_method()
        guard let context = SSL_CTX_new(method) else {
            throw TLSConfigurationError(file: nil, reason: OpenSSLErrorQueue.drain(fallback: "SSL_CTX_new failed"))
        }
        do {
            try configure(context, configuration, certificate: certificate)
        } catch {
            SSL_CTX_free(context)
            throw error
        }
        return context
    }

    private static func version(_ version: TLSVersion) -> Int32 {
        version == .tls12 ? eventloop_tls1_2_version() : eventloop_tls1_3_version()
    }

    private static func configure(_ context: OpaquePointer, _ configuration: TLSConfiguration,
                                  certificate: TLSCertifiedKey?) throws(TLSConfigurationError) {
        OpenSSLErrorQueue.clear()
        // Idle connections give their record buffers back; writes may resume from a moved buffer.
        _ = eventloop_ssl_ctx_set_mode(context, eventloop_ssl_ctx_release_buffers_mode())
        guard eventloop_ssl_ctx_set_versions(context, version(configuration.minimumVersion), version(configuration.maximumVersion)) == 1 else {
            throw TLSConfigurationError(file: nil, reason: OpenSSLErrorQueue.drain(fallback: "cannot set the protocol versions"))
        }
        eventloop_ssl_ctx_no_renegotiation(context)
        if let certificate {
            guard SSL_CTX_use_certificate(context, certificate.leaf) == 1,
                  SSL_CTX_use_PrivateKey(context, certificate.key) == 1 else {
                throw TLSConfigurationError(file: nil, reason: OpenSSLErrorQueue.drain(fallback: "cannot use the certificate"))
            }
            for intermediate in certificate.chain where eventloop_ssl_ctx_add1_chain_cert(context, intermediate) != 1 {
                throw TLSConfigurationError(file: nil, reason: OpenSSLErrorQueue.drain(fallback: "cannot add a chain certificate"))
            }
        }
        switch configuration.role {
        case .client:
            if configuration.verifiesPeer {
                try loadTrustRoots(configuration.trustRoots, into: context)
                SSL_CTX_set_verify(context, eventloop_verify_peer(), nil)
            } else {
                SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nil)
            }
            _ = eventloop_ssl_ctx_set_session_cache_mode(
                context, configuration.sessionResumption && configuration.sessionCache != nil ? eventloop_sess_cache_client() : 0)
        case .server:
            if let roots = configuration.clientCertificateRoots {
                try loadTrustRoots(roots, into: context)
                if case .file(let path) = roots, let names = SSL_load_client_CA_file(path) {
                    SSL_CTX_set_client_CA_list(context, names)
                }
                SSL_CTX_set_verify(context, eventloop_verify_peer_fail(), nil)
            }
            let id = Array("EventLoopTLS".utf8)
            _ = SSL_CTX_set_session_id_context(context, id, UInt32(id.count))
            if configuration.sessionResumption {
                _ = eventloop_ssl_ctx_set_session_cache_mode(context, eventloop_sess_cache_server())
            } else {
                _ = eventloop_ssl_ctx_set_session_cache_mode(context, 0)
                _ = SSL_CTX_set_num_tickets(context, 0)
            }
        }
        OpenSSLErrorQueue.clear()
    }

    private static func loadTrustRoots(_ roots: TLSTrustRoots, into context: OpaquePointer) throws(TLSConfigurationError) {
        switch roots {
        case .system:
            guard SSL_CTX_set_default_verify_paths(context) == 1 else {
                throw TLSConfigurationError(file: nil, reason: OpenSSLErrorQueue.drain(fallback: "cannot load the system trust store"))
            }
        case .file(let path):
            _ = try PEMFile.read(path)  // a missing or unreadable file is named with the system's reason
            guard SSL_CTX_load_verify_locations(context, path, nil) == 1 else {
                throw TLSConfigurationError(file: path, reason: OpenSSLErrorQueue.drain(fallback: "no CA certificate found"))
            }
        }
    }

    /// The context for a server name the client sent (nil: the default one).
    func context(forServerName name: String) -> OpaquePointer? {
        contextsByName.isEmpty ? nil : contextsByName[name.lowercased()]
    }
}
