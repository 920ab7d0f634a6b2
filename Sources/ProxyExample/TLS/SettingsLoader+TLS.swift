import EventLoop
import EventLoopTLS

extension SettingsLoader {
    /// The `--tls-*` and `--upstream-tls` settings, with their contexts built: a certificate or
    /// key that cannot be used throws ``SettingError`` naming the key and the file's problem
    /// (never the secret path's value beyond what the library's error names).
    func tlsSettings() async throws -> ProxyTLSSettings {
        var tls = ProxyTLSSettings()
        tls.certificateFile = try await text("tls-cert")
        tls.keyFile = try await text("tls-key")
        if let seconds = try await number("tls-handshake-timeout", minimum: 0.001) { tls.handshakeTimeout = .seconds(seconds) }
        tls.upstreamTLS = try await boolean("upstream-tls") ?? false
        tls.upstreamCA = try await text("upstream-ca")
        tls.upstreamSNI = try await text("upstream-sni")
        switch (tls.certificateFile, tls.keyFile) {
        case (nil, nil): break
        case (let certificate?, let key?):
            do {
                var configuration = TLSConfiguration.server(certificate: try TLSCertifiedKey(certificateFile: certificate, keyFile: key))
                configuration.handshakeTimeout = tls.handshakeTimeout
                tls.serverContext = try TLSContext(configuration)
            } catch {
                let named = error.file == key ? "tls-key" : "tls-cert"
                throw failure(named, "\(error)", provider: recorder.provider(of: named) ?? 0, text: nil)
            }
        case (nil, _):
            throw failure("tls-key", "needs --tls-cert as well", provider: recorder.provider(of: "tls-key") ?? 0, text: nil)
        case (_, nil):
            throw failure("tls-cert", "needs --tls-key as well", provider: recorder.provider(of: "tls-cert") ?? 0, text: nil)
        }
        if tls.upstreamTLS {
            var configuration = TLSConfiguration.client(serverName: tls.upstreamSNI, trustRoots: tls.upstreamCA.map { .file($0) } ?? .system)
            configuration.handshakeTimeout = tls.handshakeTimeout
            do { tls.clientContext = try TLSContext(configuration) } catch {
                throw failure("upstream-ca", "\(error)", provider: recorder.provider(of: "upstream-ca") ?? 0, text: nil)
            }
        } else if tls.upstreamCA != nil || tls.upstreamSNI != nil {
            let key = tls.upstreamCA != nil ? "upstream-ca" : "upstream-sni"
            throw failure(key, "needs --upstream-tls", provider: recorder.provider(of: key) ?? 0, text: nil)
        }
        tls.routes = try await routes()
        if !tls.routes.isEmpty && tls.isActive {
            let key = tls.serverContext != nil ? "tls-cert" : "upstream-tls"
            throw failure("route-sni", "passes TLS through untouched: it cannot be combined with --\(key)",
                          provider: recorder.provider(of: "route-sni") ?? 0, text: nil)
        }
        return tls
    }

    /// `route-sni` (`NAME=HOST:PORT`, repeatable): each name given once, each target an address
    /// or `NAME:PORT`.
    private func routes() async throws -> [SNIRoute] {
        guard let (texts, provider) = try await list("route-sni") else { return [] }
        var routes: [SNIRoute] = []
        for text in texts {
            let route: SNIRoute
            do { route = try SNIRoute(text) } catch { throw failure("route-sni", "'\(text)': \(error)", provider: provider, text: nil) }
            do { _ = try SocketAddress(route.target) } catch {
                if !HostPort.isName(route.target) { throw failure("route-sni", "'\(text)': \(error)", provider: provider, text: nil) }
            }
            if routes.contains(where: { $0.name == route.name }) {
                throw failure("route-sni", "the name '\(route.name)' is routed more than once", provider: provider, text: nil)
            }
            routes.append(route)
        }
        return routes
    }

    /// A text setting (nil when no source gives it).
    private func text(_ key: String) async throws -> String? {
        try await fetch(key, expected: "text", { try await $0.fetchString(forKey: $1, isSecret: $2) })?.0
    }
}
