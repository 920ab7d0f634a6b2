import EventLoop
import EventLoopTesting
import Foundation
import Glibc
import Testing
import TestSupport

/// SIGHUP: the settings read again for new clients; open pairs untouched; a bad file keeps
/// the running configuration with one error line.
@Suite struct ReloadTests {
    @Test func reloadSwitchesUpstreamsForNewClientsAndKeepsOpenPairs() async throws {
        try await withReactorGroup(timeout: 90) { group in
            let first = try await TestUpstream.tagged("A", group: group)
            let second = try await TestUpstream.tagged("B", group: group)
            defer { first.close(); second.close() }
            let file = try TempConfigFile("listen 127.0.0.1:0\nupstream 127.0.0.1:\(first.port)\nmetrics-listen 127.0.0.1:0\n")
            defer { file.remove() }
            let proxy = try ExampleProcess("ProxyExample", arguments: ["--config", file.path])
            let port = try await proxy.listeningPort()
            let metricsPort = try await proxy.metricsPort()
            let (old, oldTag) = try await connectTagged(port: port, group: group)
            defer { old.close() }
            #expect(oldTag == "A")

            try "listen 127.0.0.1:0\nupstream 127.0.0.1:\(second.port)\nbalance least-conn\nmetrics-listen 127.0.0.1:0\n"
                .write(toFile: file.path, atomically: true, encoding: .utf8)
            let outcome = try await proxy.reload(expectingOutcome: 1)
            #expect(outcome.contains("configuration reloaded from \(file.path)"), "\(outcome)")
            #expect(outcome.contains("balance least-conn"), "\(outcome)")

            let (new, newTag) = try await connectTagged(port: port, group: group)
            defer { new.close() }
            #expect(newTag == "B")
            // The pair opened before the reload still moves bytes to its upstream.
            #expect(try await old.exchange("still here") == "still here")
            #expect(try await new.exchange("new") == "new")
            let page = try await ProxyOperationsTests.get("/metrics", port: metricsPort, group: group)
            #expect(page.contains("proxy_config_reloads_total{result=\"ok\"} 1"), "\(page)")
            #expect(page.contains("proxy_config_reloads_total{result=\"error\"} 0"), "\(page)")
            old.close()
            new.close()
            #expect(try await proxy.stop() == 0)
        }
    }

    @Test func reloadOpensNewListenAddressesAndClosesRemovedOnes() async throws {
        try await withReactorGroup(timeout: 90) { group in
            let upstream = try await TestUpstream.tagged("A", group: group)
            defer { upstream.close() }
            let file = try TempConfigFile("listen 127.0.0.1:0\nupstream 127.0.0.1:\(upstream.port)\n")
            defer { file.remove() }
            let proxy = try ExampleProcess("ProxyExample", arguments: ["--config", file.path])
            let firstPort = try await proxy.listeningPort()
            let extra = try await freePort(group: group)

            try "listen 127.0.0.1:0\nlisten 127.0.0.1:\(extra)\nupstream 127.0.0.1:\(upstream.port)\n"
                .write(toFile: file.path, atomically: true, encoding: .utf8)
            let added = try await proxy.reload(expectingOutcome: 1)
            #expect(added.contains("127.0.0.1:\(extra)"), "\(added)")
            let (viaExtra, tag) = try await connectTagged(port: extra, group: group)
            defer { viaExtra.close() }
            #expect(tag == "A")

            try "listen 127.0.0.1:\(extra)\nupstream 127.0.0.1:\(upstream.port)\n"
                .write(toFile: file.path, atomically: true, encoding: .utf8)
            let removed = try await proxy.reload(expectingOutcome: 2)
            #expect(!removed.contains("127.0.0.1:\(firstPort)"), "\(removed)")
            #expect(try await connectionRefused(port: firstPort, group: group))
            // The client accepted on the address that stays is untouched; new ones still come in.
            #expect(try await viaExtra.exchange("hi") == "hi")
            let (again, _) = try await connectTagged(port: extra, group: group)
            again.close()
            viaExtra.close()
            #expect(try await proxy.stop() == 0)
        }
    }

    /// The bad files of the contract, each at reload: the running configuration stays, one
    /// error line names the file, the line and the reason, and no descriptor is left open.
    static let badFiles: [BadFile] = [
        BadFile(name: "unknown key", text: { "listen 127.0.0.1:0\nupstream 127.0.0.1:\($0)\nmax-conn 5\n" }, expected: ":3: unknown setting \"max-conn\""),
        BadFile(name: "bad CIDR", text: { "listen 127.0.0.1:0\nupstream 127.0.0.1:\($0)\nallow 10.0.0.0/33\n" }, expected: ":3: allow: \"10.0.0.0/33\" is not a network"),
        BadFile(name: "duplicate upstream", text: { "listen 127.0.0.1:0\nupstream 127.0.0.1:\($0)\nupstream 127.0.0.1:\($0)\n" }, expected: ":2: upstream: \"127.0.0.1:"),
        BadFile(name: "missing file", text: { _ in nil }, expected: ": No such file or directory"),
    ]

    /// A bad config file: its text for an upstream port (nil: no file at all) and what the
    /// error says after the path.
    struct BadFile: Sendable {
        let name: String
        let text: @Sendable (UInt16) -> String?
        let expected: String
    }

    @Test(arguments: 0..<4) func badFileAtReloadKeepsTheRunningConfiguration(_ index: Int) async throws {
        let bad = Self.badFiles[index]
        try await withReactorGroup(timeout: 90) { group in
            let upstream = try await TestUpstream.tagged("A", group: group)
            defer { upstream.close() }
            let file = try TempConfigFile("listen 127.0.0.1:0\nupstream 127.0.0.1:\(upstream.port)\nmetrics-listen 127.0.0.1:0\n")
            defer { file.remove() }
            let proxy = try ExampleProcess("ProxyExample", arguments: ["--config", file.path])
            let port = try await proxy.listeningPort()
            let metricsPort = try await proxy.metricsPort()
            let (open, _) = try await connectTagged(port: port, group: group)
            defer { open.close() }
            let baseline = try proxy.openDescriptorCount()

            if let text = bad.text(upstream.port) {
                try text.write(toFile: file.path, atomically: true, encoding: .utf8)
            } else {
                file.remove()
            }
            let outcome = try await proxy.reload(expectingOutcome: 1)
            #expect(outcome.contains("configuration reload failed"), "\(bad.name): \(outcome)")
            #expect(outcome.contains(file.path + bad.expected), "\(bad.name): \(outcome)")
            #expect(proxy.count("error") == 1, "\(bad.name): \(proxy.printed)")
            // Nothing the attempt opened stays open (a descriptor may take a moment to close).
            try? await waitUntil(within: 30) { try proxy.openDescriptorCount() <= baseline }
            #expect(try proxy.openDescriptorCount() <= baseline, "\(bad.name)")
            // The old configuration serves: the open pair and a new client.
            #expect(try await open.exchange("hi") == "hi")
            let (fresh, tag) = try await connectTagged(port: port, group: group)
            fresh.close()
            #expect(tag == "A")
            let page = try await ProxyOperationsTests.get("/metrics", port: metricsPort, group: group)
            #expect(page.contains("proxy_config_reloads_total{result=\"error\"} 1"), "\(page)")
            open.close()
            #expect(try await proxy.stop() == 0)
        }
    }

    @Test(arguments: 0..<4) func badFileAtStartExitsOneWithOneLine(_ index: Int) async throws {
        let bad = Self.badFiles[index]
        let file = try TempConfigFile(bad.text(1) ?? "")
        if bad.text(1) == nil { file.remove() }
        defer { file.remove() }
        let proxy = try ExampleProcess("ProxyExample", arguments: ["--config", file.path])
        #expect(try await proxy.waitForExit() == 1)
        #expect(proxy.lines.count == 1, "\(bad.name): \(proxy.printed)")
        #expect(proxy.printed.contains(file.path), "\(bad.name): \(proxy.printed)")
    }

    /// A reload that changes `max-conns` keeps counting the open pairs: with two open and the
    /// limit raised from 2 to 3, one more client is served and the next refused.
    @Test func changedLimitsKeepCountingOpenPairs() async throws {
        try await withReactorGroup(timeout: 90) { group in
            let upstream = try await TestUpstream.echo(group: group)
            defer { upstream.close() }
            let file = try TempConfigFile("listen 127.0.0.1:0\nupstream 127.0.0.1:\(upstream.port)\nmax-conns 2\n")
            defer { file.remove() }
            let proxy = try ExampleProcess("ProxyExample", arguments: ["--config", file.path])
            let port = try await proxy.listeningPort()
            let open = [try await Dialer().dial(.loopbackIPv4(port: port), group: group),
                        try await Dialer().dial(.loopbackIPv4(port: port), group: group)]
            defer { open.forEach { $0.close() } }
            for conn in open { #expect(try await conn.exchange("held") == "held") }
            try "listen 127.0.0.1:0\nupstream 127.0.0.1:\(upstream.port)\nmax-conns 3\n".write(toFile: file.path, atomically: true, encoding: .utf8)
            #expect(try await proxy.reload(expectingOutcome: 1).contains("configuration reloaded"))
            let third = try await Dialer().dial(.loopbackIPv4(port: port), group: group)
            defer { third.close() }
            #expect(try await third.exchange("third") == "third")
            #expect(try await LimitsTests.isRefused(port: port, group: group))
            open.forEach { $0.close() }
            third.close()
            #expect(try await proxy.stop() == 0)
        }
    }
}
