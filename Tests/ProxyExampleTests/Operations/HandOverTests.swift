import EventLoop
import EventLoopTesting
import Foundation
import Glibc
import Testing
import TestSupport

/// The seamless restart: a second proxy starts on the same address (SO_REUSEPORT), the first
/// gets SIGTERM, and a client loop opening connections all along sees every one served.
/// Runs in a network namespace of its own with `net.ipv4.tcp_migrate_req=1` (what the docs
/// ask of the operator): the kernel then moves connections still queued on the old listener
/// to the new one when the old one closes.
@Suite struct HandOverTests {
    @Test func secondInstanceTakesOverWithoutRefusingAConnection() async throws {
        let namespace: NetworkNamespace
        switch await NetworkNamespace.create() {
        case .success(let created): namespace = created
        case .failure(let reason):
            print("HandOverTests skipped: \(reason)")
            return
        }
        let echo = try await namespace.run { try ExampleProcess("EchoExample", arguments: ["serve", "--listen", "127.0.0.1:0"]) }
        let echoPort = try await echo.listeningPort()
        let proxyArguments = ["--upstream", "127.0.0.1:\(echoPort)", "--threads", "1", "--drain-timeout", "10"]
        let old = try await namespace.run { try ExampleProcess("ProxyExample", arguments: ["--listen", "127.0.0.1:0"] + proxyArguments) }
        let port = try await old.listeningPort()

        let load = ConnectionLoad(port: port)
        // Several clients at once, so connections wait in the accept queue now and then.
        let loading = (0..<8).map { _ in Task { try await namespace.run { load.run() } } }
        defer { load.stop() }
        try await waitUntil(within: 30) { load.successes >= 200 }

        // The new instance on the same address, then the old one told to stop.
        let new = try await namespace.run { try ExampleProcess("ProxyExample", arguments: ["--listen", "127.0.0.1:\(port)"] + proxyArguments) }
        #expect(try await new.listeningPort() == port)
        let beforeStop = load.successes
        try await waitUntil(within: 30) { load.successes >= beforeStop + 200 }
        #expect(try await old.stop(signal: SIGTERM, within: 30) == 0)
        let afterStop = load.successes
        try await waitUntil(within: 30) { load.successes >= afterStop + 1000 }
        load.stop()
        for client in loading { try await client.value }

        #expect(load.failed.isEmpty, "\(load.failed.count) of \(load.successes + load.failed.count) connections failed: \(load.failed.prefix(5))")
        #expect(try await new.stop() == 0)
        let (oldTotals, newTotals) = (try old.totals(), try new.totals())
        // Both served part of the load; every connection the loop made was served by one of them.
        #expect((oldTotals["paired"] ?? 0) > 0 && (newTotals["paired"] ?? 0) > 0, "\(oldTotals) \(newTotals)")
        #expect((oldTotals["paired"] ?? 0) + (newTotals["paired"] ?? 0) == load.successes, "\(oldTotals) \(newTotals) \(load.successes)")
        #expect(try await echo.stop() == 0)
    }
}
