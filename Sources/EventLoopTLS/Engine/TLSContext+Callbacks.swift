import COpenSSL

/// The OpenSSL callbacks a context installs: SNI certificate selection and ALPN on servers,
/// new-session capture on clients. Each gets the ``TLSContext`` as its argument or finds the
/// connection's ``TLSEngine`` in the SSL's application data.
extension TLSContext {
    func installCallbacks(_ context: OpaquePointer, argument: UnsafeMutableRawPointer) {
        switch configuration.role {
        case .server:
            if !contextsByName.isEmpty {
                _ = eventloop_ssl_ctx_set_servername_callback(context, tlsServerNameCallback, argument)
            }
            if !alpnWire.isEmpty { SSL_CTX_set_alpn_select_cb(context, tlsALPNSelectCallback, argument) }
        case .client:
            if configuration.sessionResumption && configuration.sessionCache != nil {
                SSL_CTX_sess_set_new_cb(context, tlsNewSessionCallback)
            }
        }
    }
}

/// Servers: switches the connection to the context of the name the client asked for.
private func tlsServerNameCallback(_ ssl: OpaquePointer?, _ alert: UnsafeMutablePointer<Int32>?, _ argument: UnsafeMutableRawPointer?) -> Int32 {
    guard let ssl, let argument, let name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name) else {
        return eventloop_tlsext_err_ok()
    }
    let context = Unmanaged<TLSContext>.fromOpaque(argument).takeUnretainedValue()
    if let chosen = context.context(forServerName: String(cString: name)) { _ = SSL_set_SSL_CTX(ssl, chosen) }
    return eventloop_tlsext_err_ok()
}

/// Servers: picks the first of the server's protocols the client offers. None in common fails
/// the handshake with a fatal `no_application_protocol` alert, as RFC 7301 (3.2) requires; a
/// client that offers no ALPN at all does not reach this callback and goes on without.
private func tlsALPNSelectCallback(_ ssl: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafePointer<UInt8>?>?,
                                   _ outLength: UnsafeMutablePointer<UInt8>?, _ offered: UnsafePointer<UInt8>?,
                                   _ offeredLength: UInt32, _ argument: UnsafeMutableRawPointer?) -> Int32 {
    guard let argument, let offered, let out, let outLength else { return eventloop_tlsext_err_noack() }
    let context = Unmanaged<TLSContext>.fromOpaque(argument).takeUnretainedValue()
    let chosen: (start: Int, length: Int)? = context.alpnWire.withUnsafeBufferPointer { ours in
        let theirs = UnsafeBufferPointer(start: offered, count: Int(offeredLength))
        var index = 0
        while index < ours.count {
            let length = Int(ours[index])
            let name = ours[(index + 1)..<(index + 1 + length)]
            var other = 0
            while other < theirs.count {
                let otherLength = Int(theirs[other])
                guard other + 1 + otherLength <= theirs.count else { break }
                if otherLength == length && theirs[(other + 1)..<(other + 1 + otherLength)].elementsEqual(name) {
                    return (other + 1, length)
                }
                other += 1 + otherLength
            }
            index += 1 + length
        }
        return nil
    }
    guard let chosen else { return eventloop_tlsext_err_alert_fatal() }
    // Points into the client's offer, which OpenSSL keeps for the handshake.
    out.pointee = offered + chosen.start
    outLength.pointee = UInt8(chosen.length)
    return eventloop_tlsext_err_ok()
}

/// Clients: keeps a new session (a TLS 1.3 ticket or a TLS 1.2 session) in the cache.
private func tlsNewSessionCallback(_ ssl: OpaquePointer?, _ session: OpaquePointer?) -> Int32 {
    guard let ssl, let session, let data = SSL_get_ex_data(ssl, 0) else { return 0 }
    let engine = Unmanaged<TLSEngine>.fromOpaque(data).takeUnretainedValue()
    guard let cache = engine.context.configuration.sessionCache, let key = engine.sessionKey else { return 0 }
    cache.store(session, for: key)
    return 1  // the cache owns the reference now
}
