import EventLoop
import EventLoopTesting
import Foundation
import Glibc
import Testing
import TestSupport

/// `--health-*`: upstreams leave the rotation after `fall` failed probes and come back after
/// `rise` good ones; each kind of bad answer is named in the log; nothing leaks.
@Suite struct ActiveHealthTests {
    /// Probes every second (probe timeout 1 s: generous under a loaded parallel suite): `HEALTH\n`, expecting `OK`.
    static func healthArguments(fall: Int, rise: Int, timeout: Double? = nil) -> [String] {
        (timeout.map { ["--health-timeout", "\($0)"] } ?? []) + ["--health-interval", "1", "--health-send", #"HEALTH\n"#, "--health-expect", "OK",
         "--health-fall", "\(fall)", "--health-rise", "\(rise)", "--metrics-listen", "127.0.0.1:0", "--connect-timeout", "1",
         "--log-level", "debug"]
    }

    /// The answer of one client through the proxy ("" when it was refused).
    static func answer(port: UInt16, group: ReactorGroup) async throws -> String {
        let client = try await Dialer().dial(.loopbackIPv4(port: port), group: group)
        defer { client.close() }
        try await client.write(Array("hi\n".utf8))
        return try await client.readUntilClosed().text
    }

    /// The value of `proxy_upstream_up` for `port` on the metrics page.
    static func upValue(port: UInt16, metricsPort: UInt16, group: ReactorGroup) async throws -> String? {
        let page = try await ProxyOperationsTests.get("/metrics", port: metricsPort, group: group)
        let prefix = "proxy_upstream_up{upstream=\"127.0.0.1:\(port)\"} "
        return page.split(separator: "\n").first { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
    }

    /// Probes may take 10 s here: under a loaded parallel suite the test's own upstreams answer
    /// late, and B must not fall by a late answer while A is out.
    @Test func fallTakesOutOfRotationAndRisePutsBack() async throws {
        try await withReactorGroup(timeout: 90) { group in
            let a = try await HealthUpstream(name: "A", group: group)
            let b = try await HealthUpstream(name: "B", group: group)
            defer { a.close(); b.close() }
            let (proxy, port) = try await ExampleProcess.proxy(upstreams: [a.port, b.port], Self.healthArguments(fall: 2, rise: 2, timeout: 10))
            let metricsPort = try await proxy.metricsPort()
            a.set(.wrong)
            try await proxy.waitForOutput(containing: "upstream 127.0.0.1:\(a.port) is down (health check, 2 failed probes): ")
            #expect(try await Self.upValue(port: a.port, metricsPort: metricsPort, group: group) == "0.0")
            // Out of rotation: every client goes to B.
            for _ in 0..<6 { #expect(try await Self.answer(port: port, group: group) == "B\n") }
            a.set(.good)
            try await proxy.waitForOutput(containing: "upstream 127.0.0.1:\(a.port) is up (health check, 2 good probes)")
            #expect(try await Self.upValue(port: a.port, metricsPort: metricsPort, group: group) == "1.0")
            var answers: Set<String> = []
            for _ in 0..<6 { answers.insert(try await Self.answer(port: port, group: group)) }
            #expect(answers == ["A\n", "B\n"])
            #expect(try await proxy.stop() == 0)
            // Both transitions at notice (no level prefix), and the up line only once.
            #expect(proxy.lines.filter { $0.contains("127.0.0.1:\(a.port) is up (health check") }.count == 1)
        }
    }

    /// Each bad answer: the upstream goes down with a log line naming the failure, `/readyz`
    /// says no upstream is up, clients are refused; the proxy holds no probe connection or
    /// descriptor beyond the one in flight, and the upstream sees every probe closed.
    @Test(arguments: ["slow", "partial", "wrong", "silent", "refused"])
    func badAnswerTakesTheUpstreamDown(kind: String) async throws {
        try await withReactorGroup(timeout: 90) { group in
            let behaviour: HealthUpstream.Behaviour = switch kind {
            case "slow": .slow
            case "partial": .partial
            case "silent": .silent
            default: .wrong
            }
            let upstream = try await HealthUpstream(name: "U", behaviour: behaviour, group: group)
            defer { upstream.close() }
            try await withRefusingPort { refusing in
                let port = kind == "refused" ? refusing : upstream.port
                let (proxy, proxyPort) = try await ExampleProcess.proxy(upstreams: [port], Self.healthArguments(fall: 2, rise: 1))
                let metricsPort = try await proxy.metricsPort()
                let reason = switch kind {
                case "slow", "silent": "no reply within 1.0 s (0 of 2 expected bytes)"
                case "partial": "closed after 1 of 2 expected bytes"
                case "wrong": #"wrong reply: \"NO\" (expected \"OK\")"#
                default: "connect failed: connect tcp 127.0.0.1:\(port): connection refused"
                }
                try await proxy.waitForOutput(containing: "upstream 127.0.0.1:\(port) is down (health check, 2 failed probes): ")
                // The down line names the last failure; on a loaded machine that may be a slow
                // answer, so the expected reason is looked for in every failed probe's line too.
                try await proxy.waitForOutput(containing: reason)
                #expect(try await Self.upValue(port: port, metricsPort: metricsPort, group: group) == "0.0")
                let ready = try await ProxyOperationsTests.get("/readyz", port: metricsPort, group: group)
                #expect(ready.hasPrefix("HTTP/1.1 503 "), "\(ready)")
                #expect(ready.hasSuffix("\r\n\r\nno upstream is up\n"), "\(ready)")
                #expect(try await Self.answer(port: proxyPort, group: group) == "")
                // Many more probes later, no more descriptors than then (one probe may be in flight).
                let descriptors = try proxy.openDescriptorCount()
                try await Task.sleep(for: .seconds(2))
                #expect(try proxy.openDescriptorCount() <= descriptors + 1)
                if kind != "refused" {
                    // (A slow upstream still sleeps over probes the proxy gave up on.)
                    if kind != "slow" { #expect(upstream.openConnections <= 2, "probes held open: \(upstream.openConnections)") }
                    upstream.set(.good)
                    try await proxy.waitForOutput(containing: "upstream 127.0.0.1:\(port) is up (health check, 1 good probes)")
                    #expect(try await Self.answer(port: proxyPort, group: group) == "U\n")
                }
                #expect(try await proxy.stop() == 0)
                // Every probe connection was closed by the proxy (the slow answer's wait ends too).
                try await waitUntil(within: 30) { upstream.openConnections == 0 }
            }
        }
    }
}

extension ActiveHealthTests {
    /// A SIGHUP reload that changes the upstreams: the checks move to the new pool.
    @Test func reloadedUpstreamsAreProbed() async throws {
        try await withReactorGroup(timeout: 90) { group in
            let a = try await HealthUpstream(name: "A", group: group)
            let b = try await HealthUpstream(name: "B", behaviour: .wrong, group: group)
            defer { a.close(); b.close() }
            let health = "health-interval 1\nhealth-send HEALTH\\n\nhealth-expect OK\nhealth-fall 2\n"
            let file = try TempConfigFile("listen 127.0.0.1:0\nupstream 127.0.0.1:\(a.port)\n" + health)
            defer { file.remove() }
            let proxy = try ExampleProcess("ProxyExample", arguments: ["--config", file.path])
            _ = try await proxy.listeningPort()
            try "listen 127.0.0.1:0\nupstream 127.0.0.1:\(b.port)\n\(health)".write(toFile: file.path, atomically: true, encoding: .utf8)
            _ = try await proxy.reload(expectingOutcome: 1)
            try await proxy.waitForOutput(containing: "upstream 127.0.0.1:\(b.port) is down (health check, 2 failed probes): ")
            #expect(try await proxy.stop() == 0)
            #expect(!proxy.printed.contains("upstream 127.0.0.1:\(a.port) is down"))
        }
    }

    /// Checks off at start, turned on by a reload (the bad upstream leaves the rotation), then
    /// off again (it comes back).
    @Test func aReloadTurnsTheChecksOnAndOff() async throws {
        try await withReactorGroup(timeout: 90) { group in
            let b = try await HealthUpstream(name: "B", behaviour: .wrong, group: group)
            defer { b.close() }
            let base = "listen 127.0.0.1:0\nupstream 127.0.0.1:\(b.port)\n"
            let file = try TempConfigFile(base)
            defer { file.remove() }
            let proxy = try ExampleProcess("ProxyExample", arguments: ["--config", file.path])
            let port = try await proxy.listeningPort()
            #expect(try await Self.answer(port: port, group: group) == "B\n")
            let health = "health-interval 0.5\nhealth-send HEALTH\\n\nhealth-expect OK\nhealth-fall 2\nhealth-timeout 10\n"
            try (base + health).write(toFile: file.path, atomically: true, encoding: .utf8)
            _ = try await proxy.reload(expectingOutcome: 1)
            try await proxy.waitForOutput(containing: "upstream 127.0.0.1:\(b.port) is down (health check, 2 failed probes): ")
            #expect(try await Self.answer(port: port, group: group) == "")
            try base.write(toFile: file.path, atomically: true, encoding: .utf8)
            _ = try await proxy.reload(expectingOutcome: 2)
            try await proxy.waitForOutput(containing: "upstream 127.0.0.1:\(b.port) is back in rotation (health checks turned off)")
            #expect(try await Self.answer(port: port, group: group) == "B\n")
            #expect(try await proxy.stop() == 0)
        }
    }
}
