import EventLoop

/// `--send-proxy`: the PROXY protocol version written to each upstream.
enum SendProxyOption: String, Sendable, CaseIterable {
    /// The text header: `PROXY TCP4 …\r\n`.
    case v1
    /// The binary header.
    case v2

    /// The library's version for this setting.
    var version: ProxyHeader.Version {
        switch self {
        case .v1: .v1
        case .v2: .v2
        }
    }
}

/// What a client's PROXY protocol header said (`--accept-proxy`). A class, so that a
/// ``PeerName`` grows by one reference, not by two addresses.
final class ProxyOrigin: Sendable {
    let header: ProxyHeader

    init(_ header: ProxyHeader) {
        self.header = header
    }
}

extension PairForwarder {
    /// The handler level with `--accept-proxy`: reads the client's PROXY header (up to
    /// `--proxy-header-timeout`), then serves it as the client at the header's source address.
    /// Reactor thread only.
    func startAfterProxyHeader(_ client: TCPConn) {
        client.readProxyHeader(timeout: settings.proxyHeaderTimeout) { result in
            switch result {
            case .success(let header): self.start(client, peer: PeerName(client, origin: ProxyOrigin(header)))
            case .failure(let error): self.proxyHeaderFailed(client, error)
            }
        }
    }

    /// The async level with `--accept-proxy`: the client's header, or nil when it was refused
    /// (logged, counted and closed).
    nonisolated(nonsending) func readOrigin(_ client: TCPConn) async -> ProxyOrigin? {
        do {
            return ProxyOrigin(try await client.readProxyHeader(timeout: settings.proxyHeaderTimeout))
        } catch {
            proxyHeaderFailed(client, error)
            return nil
        }
    }

    /// A client without a valid PROXY header: closed, counted, and logged with the socket's
    /// peer address (the only one known) and the reason. Nothing was dialled for it.
    @inline(never)
    func proxyHeaderFailed(_ client: TCPConn, _ error: ProxyHeaderError) {
        client.close()
        metrics.refused(.proxyHeader)
        totals.refused(.proxyHeader)
        logger.notice("PROXY header refused", metadata: [
            "client": "\(client.remoteAddress?.description ?? "?")", "reason": "\(error)",
        ])
    }

    /// `--send-proxy`: writes the header for `peer` (its carried address when `--accept-proxy`
    /// gave one, else the socket's; the destination likewise, else the address the client
    /// connected to) to the freshly connected `upstream`, before any of the client's bytes.
    /// True when there is nothing to send or it was all written; otherwise the upstream is
    /// closed and released (a fresh connection's send buffer always has room for the header
    /// of at most 104 bytes, so this does not happen in practice). Reactor thread only;
    /// allocation-free.
    func sendProxyHeader(to upstream: TCPConn, pick: UpstreamPool.Pick, peer: PeerName) -> Bool {
        guard let version = settings.sendProxy?.version else { return true }
        let carried = peer.origin?.header
        let header = carried?.source != nil
            ? ProxyHeader(version: version, source: carried?.source, destination: carried?.destination)
            : ProxyHeader(version: version, source: peer.conn.remoteAddress, destination: peer.conn.localAddress)
        let sent = withUnsafeTemporaryAllocation(byteCount: ProxyHeaderEncoder.maximumLength, alignment: 1) { buffer in
            let count = ProxyHeaderEncoder.encode(header, into: buffer)
            guard case .processed(let written)? = try? upstream.socket.write(UnsafeRawBufferPointer(rebasing: buffer[..<count])) else {
                return false
            }
            return written == count
        }
        if !sent {
            upstream.close()
            pick.pool.released(pick)
            logger.notice("could not write the PROXY header", metadata: ["client": "\(peer)", "upstream": "\(pick.label)"])
        }
        return sent
    }
}
