import EventLoop
import EventLoopTLS
import EventLoopTesting
import Foundation
import Testing
import TestSupport

@testable import ProxyExample

/// The TLS settings from every source, their checks, and a bad certificate at SIGHUP.
@Suite struct TLSSettingsTests {
    @Test func configFileKeysMatchTheFlags() async throws {
        let (cert, key, ca) = (ProxyTestCertificates.path("server.pem"), ProxyTestCertificates.path("server.key"),
                               ProxyTestCertificates.path("ca.pem"))
        let settings = try await loadSettings(file: """
            listen 127.0.0.1:0
            upstream 127.0.0.1:9
            tls-cert \(cert)
            tls-key \(key)
            upstream-tls true
            upstream-ca \(ca)
            upstream-sni localhost
            tls-handshake-timeout 2.5
            """)
        #expect(settings.tls.serverContext != nil)
        #expect(settings.tls.clientContext?.configuration.serverName == "localhost")
        #expect(settings.tls.handshakeTimeout == .milliseconds(2500))
        #expect(settings.tls.serverContext?.configuration.handshakeTimeout == .milliseconds(2500))
        #expect(SettingKeys.secret.isSuperset(of: ["tls-cert", "tls-key"]))
    }

    @Test func badCombinationsAndFilesAreNamed() async throws {
        let base: [String: [String]] = ["listen": ["127.0.0.1:0"], "upstream": ["127.0.0.1:9"]]
        let onlyKey = try await settingsError(flags: base.merging(["tls-key": [ProxyTestCertificates.path("server.key")]]) { $1 })
        #expect(onlyKey?.error.key == "tls-key")
        let mismatch = try await settingsError(flags: base.merging([
            "tls-cert": [ProxyTestCertificates.path("server.pem")], "tls-key": [ProxyTestCertificates.path("other.key")],
        ]) { $1 })
        #expect(mismatch?.error.description.contains("other.key") == true, "\(String(describing: mismatch))")
        let caWithoutTLS = try await settingsError(flags: base.merging(["upstream-ca": [ProxyTestCertificates.path("ca.pem")]]) { $1 })
        #expect(caWithoutTLS?.error.key == "upstream-ca")
        let badCA = try await settingsError(flags: base.merging(["upstream-tls": ["true"], "upstream-ca": ["/nonexistent/ca.pem"]]) { $1 })
        #expect(badCA?.error.description.contains("/nonexistent/ca.pem") == true)
    }

    /// A certificate file that goes bad at SIGHUP: the reload fails with one error line and
    /// the running TLS configuration keeps serving.
    @Test func aBadCertificateAtReloadKeepsTheRunningConfiguration() async throws {
        try await withReactorGroup(timeout: 90) { group in
            let upstream = try await TestUpstream.echo(group: group)
            defer { upstream.close() }
            let file = try TempConfigFile("""
                listen 127.0.0.1:0
                upstream 127.0.0.1:\(upstream.port)
                tls-cert \(ProxyTestCertificates.path("server.pem"))
                tls-key \(ProxyTestCertificates.path("server.key"))
                """)
            defer { file.remove() }
            let proxy = try ExampleProcess("ProxyExample", arguments: ["--config", file.path])
            let port = try await proxy.listeningPort()
            try """
                listen 127.0.0.1:0
                upstream 127.0.0.1:\(upstream.port)
                tls-cert \(ProxyTestCertificates.path("missing.pem"))
                tls-key \(ProxyTestCertificates.path("server.key"))
                """.write(toFile: file.path, atomically: true, encoding: .utf8)
            let outcome = try await proxy.reload(expectingOutcome: 1)
            #expect(outcome.contains("configuration reload failed"), "\(outcome)")
            #expect(outcome.contains("missing.pem"), "\(outcome)")
            #expect(proxy.count("error") == 1, "\(proxy.printed)")
            let client = try await TLSDialer(context: try ProxyTestCertificates.clientContext())
                .dial(.loopbackIPv4(port: port), group: group)
            defer { client.close() }
            try await client.write(ByteBuffer(bytes: Array("still tls".utf8)))
            try await client.closeWrite()
            #expect(await client.readAllText() == "still tls")
            #expect(try await proxy.stop() == 0)
        }
    }
}
