import EventLoop
import EventLoopTLS
import EventLoopTesting
import Foundation
import Logging
import Testing
import TestSupport

@testable import ProxyExample

/// `route-sni`: parsing from every source, the checks, the matching rules, and a reload that
/// moves a name to another upstream.
@Suite struct SNIRouteSettingsTests {
    @Test func routesFromTheConfigFileNeedNoUpstreamList() async throws {
        let settings = try await loadSettings(file: """
            listen 127.0.0.1:0
            route-sni a.example=127.0.0.1:9001
            route-sni *.Example.ORG=backend.internal:443
            """)
        #expect(settings.upstreams.isEmpty)
        #expect(settings.tls.routes.map(\.name) == ["a.example", "*.example.org"])
        #expect(settings.tls.routes.map(\.target) == ["127.0.0.1:9001", "backend.internal:443"])
        #expect(settings.upstreamNames == ["127.0.0.1:9001", "backend.internal:443"])
        let flags = try await loadSettings(flags: [
            "listen": ["127.0.0.1:0"], "upstream": ["127.0.0.1:9001"], "route-sni": ["a=127.0.0.1:9001", "b=127.0.0.1:9002"],
        ])
        #expect(flags.upstreamNames == ["127.0.0.1:9001", "127.0.0.1:9002"])
    }

    @Test(arguments: [
        ("no-equals", "expected NAME=HOST:PORT"),
        ("bad name!=127.0.0.1:1", "is not a host name"),
        ("=127.0.0.1:1", "an empty name"),
        ("a..b=127.0.0.1:1", "is not a host name"),
        ("a=", "no HOST:PORT"),
        ("a=no-port", "a="),
    ])
    func aBadRouteIsNamed(text: String, reason: String) async throws {
        let failure = try await settingsError(flags: ["listen": ["127.0.0.1:0"], "route-sni": [text]])
        #expect(failure?.error.key == "route-sni", "\(String(describing: failure))")
        #expect(failure?.error.description.contains(reason) == true, "\(String(describing: failure))")
    }

    @Test func aNameRoutedTwiceOrRoutesWithTerminationAreRefused() async throws {
        let twice = try await settingsError(flags: ["listen": ["127.0.0.1:0"], "route-sni": ["A=127.0.0.1:1", "a=127.0.0.1:2"]])
        #expect(twice?.error.description.contains("more than once") == true, "\(String(describing: twice))")
        let terminating = try await settingsError(flags: [
            "listen": ["127.0.0.1:0"], "route-sni": ["a=127.0.0.1:1"],
            "tls-cert": [ProxyTestCertificates.path("server.pem")], "tls-key": [ProxyTestCertificates.path("server.key")],
        ])
        #expect(terminating?.error.key == "route-sni")
        #expect(terminating?.error.description.contains("tls-cert") == true, "\(String(describing: terminating))")
        let originating = try await settingsError(flags: ["listen": ["127.0.0.1:0"], "route-sni": ["a=127.0.0.1:1"], "upstream-tls": ["true"]])
        #expect(originating?.error.description.contains("upstream-tls") == true, "\(String(describing: originating))")
        let nothing = try await settingsError(flags: ["listen": ["127.0.0.1:0"]])
        #expect(nothing?.error.description.contains("--route-sni") == true, "\(String(describing: nothing))")
    }

    /// Exact names win over wildcards, the longest wildcard wins, case does not matter, and
    /// `*.test` does not match `test` itself.
    @Test func matching() throws {
        let routes = try ["api.example.com=127.0.0.1:1", "*.example.com=127.0.0.1:2", "*.eu.example.com=127.0.0.1:3"].map { try SNIRoute($0) }
        let addresses = Dictionary(uniqueKeysWithValues: routes.map { ($0.target, [try! SocketAddress($0.target)]) })
        let router = SNIRouter(routes, addresses: addresses, logger: .init(label: "test") { _ in SwiftLogNoOpLogHandler() },
                               metrics: ProxyMetrics(upstreams: routes.map(\.target)))
        func target(_ name: String) -> String? {
            router.pool(for: name)?.pick(excluding: UpstreamIndexSet())?.label
        }
        #expect(target("api.example.com") == "127.0.0.1:1")
        #expect(target("API.Example.COM") == "127.0.0.1:1")
        #expect(target("www.example.com") == "127.0.0.1:2")
        #expect(target("a.b.example.com") == "127.0.0.1:2")
        #expect(target("x.eu.example.com") == "127.0.0.1:3")
        #expect(target("example.com") == nil)
        #expect(target("badexample.com") == nil)
        #expect(target("other.org") == nil)
    }

    /// A reload moves a name to another upstream: new clients follow it.
    @Test func aReloadMovesANameToAnotherUpstream() async throws {
        try await withReactorGroup(timeout: 90) { group in
            let first = try await TLSEchoUpstream(group: group, context: try ProxyTestCertificates.serverContext())
            let second = try await TLSEchoUpstream(group: group, context: try ProxyTestCertificates.serverContext())
            let file = try TempConfigFile("listen 127.0.0.1:0\nroute-sni localhost=127.0.0.1:\(first.port)\n")
            defer { file.remove() }
            let proxy = try ExampleProcess("ProxyExample", arguments: ["--config", file.path])
            let port = try await proxy.listeningPort()
            #expect(try await SNIRoutingTests.echo("one", name: "localhost", port: port, group: group) == "one")
            try "listen 127.0.0.1:0\nroute-sni localhost=127.0.0.1:\(second.port)\n".write(toFile: file.path, atomically: true, encoding: .utf8)
            let outcome = try await proxy.reload(expectingOutcome: 1)
            #expect(outcome.contains("configuration reloaded"), "\(outcome)")
            #expect(try await SNIRoutingTests.echo("two", name: "localhost", port: port, group: group) == "two")
            try await proxy.waitForOutput(containing: "upstream=127.0.0.1:\(second.port)")
            #expect(proxy.lines.contains { $0.contains("sni=localhost") && $0.contains("upstream=127.0.0.1:\(first.port)") })
            #expect(try await proxy.stop() == 0)
            await first.close()
            await second.close()
        }
    }
}
