import EventLoop
import EventLoopTesting
import ExampleSupport
import Glibc
import Synchronization
import Testing
import TestSupport
@testable import ProxyExample

/// Upstreams given by name: resolved again for new clients; a failed lookup keeps the last
/// good addresses with a warning.
@Suite struct ResolveTests {
    @Test func namesAreTellApartFromAddressesWithoutALookup() {
        #expect(HostPort.isName("redis.internal:6379"))
        #expect(HostPort.isName("localhost:1"))
        #expect(!HostPort.isName("localhost"))
        #expect(!HostPort.isName("localhost:0"))
        #expect(!HostPort.isName("localhost:65536"))
        #expect(!HostPort.isName("10.0.0.1:80"))
        #expect(!HostPort.isName("bad_name:80"))
        #expect(!HostPort.isName("-bad.example:80"))
        #expect(!HostPort.isName("a..b:80"))
        #expect(!HostPort.isName(":80"))
    }

    @Test func newAddressesReachNewClientsAndAFailedLookupKeepsTheLastOnes() async throws {
        try await withReactorGroup(timeout: 60) { group in
            let first = try await TestUpstream.tagged("A", group: group)
            let second = try await TestUpstream.tagged("B", group: group)
            defer { first.close(); second.close() }
            let name = "upstream.test:7000"
            let answer = Mutex<Result<[SocketAddress], NetError>>(.success([.loopbackIPv4(port: first.port)]))
            let log = CapturedLog()
            var settings = ProxySettings()
            settings.listen = ["127.0.0.1:0"]
            settings.upstreams = [name]
            let shared = LiveProxy.Shared(
                group: group, registry: ConnectionRegistry(limit: nil), metrics: ProxyMetrics(), totals: ProxyTotals(),
                logger: log.logger, resourceWarning: ResourceWarning(fdLimit: 1024, logger: log.logger), stopGate: StopGate()
            )
            let addresses = [name: [SocketAddress.loopbackIPv4(port: first.port)]]
            let live = LiveProxy(shared: shared, forwarder: LiveProxy.makeForwarder(settings, addresses: addresses, shared: shared),
                                 addresses: addresses)
            let reloader = ProxyReloader(live: live, source: SettingsSource(flags: [:], configPath: nil)) { _ in
                try answer.withLock { $0 }.get()
            }
            live.addListener(try await Listener.listen(.loopbackIPv4(), group: group), text: "127.0.0.1:0")
            let port = live.listeners[0].address.port ?? 0

            let (old, oldTag) = try await connectTagged(port: port, group: group)
            defer { old.close() }
            #expect(oldTag == "A")
            // The name now resolves elsewhere: new clients go there, the open pair stays.
            answer.withLock { $0 = .success([.loopbackIPv4(port: second.port)]) }
            await reloader.refreshAddresses()
            let (new, newTag) = try await connectTagged(port: port, group: group)
            defer { new.close() }
            #expect(newTag == "B")
            #expect(try await old.exchange("old pair") == "old pair")
            // A failed lookup keeps the last good addresses and says so.
            answer.withLock { $0 = .failure(NetError(.resolution("no such name"), operation: "resolve", address: name)) }
            await reloader.refreshAddresses()
            #expect(log.warnings.contains { $0.contains("upstream \(name) did not resolve, keeping its last addresses (127.0.0.1:\(second.port))") },
                    "\(log.warnings)")
            let (later, laterTag) = try await connectTagged(port: port, group: group)
            later.close()
            #expect(laterTag == "B")
            #expect(live.addresses[name] == [.loopbackIPv4(port: second.port)])

            old.close()
            new.close()
            shared.stopGate.stop()
            _ = await shared.registry.drain(live.listeners, timeout: .seconds(5), logger: log.logger)
        }
    }

    @Test func aNamedUpstreamServesThroughTheProcess() async throws {
        try await withReactorGroup(timeout: 60) { group in
            let upstream = try await TestUpstream.tagged("A", group: group)
            defer { upstream.close() }
            let proxy = try ExampleProcess("ProxyExample", arguments: [
                "--listen", "127.0.0.1:0", "--upstream", "localhost:\(upstream.port)", "--resolve-interval", "0.2",
            ])
            let port = try await proxy.listeningPort()
            // Several intervals pass while clients come and go.
            for _ in 0..<5 {
                let (conn, tag) = try await connectTagged(port: port, group: group)
                #expect(tag == "A")
                #expect(try await conn.exchange("hi") == "hi")
                conn.close()
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(try await proxy.stop() == 0)
            #expect(!proxy.printed.contains("did not resolve"), "\(proxy.printed)")
        }
    }
}
