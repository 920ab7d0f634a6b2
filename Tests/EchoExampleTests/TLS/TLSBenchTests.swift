import EventLoop
import EventLoopTesting
import Foundation
import Testing
import TestSupport

/// `bench --tls` and `bench --reconnect` against `serve` with TLS. One at a time: a load run
/// takes both cores for a moment.
@Suite(.serialized) struct TLSBenchTests {
    func bench(_ arguments: [String]) async throws -> (status: Int32, output: ExampleProcess) {
        let bench = try ExampleProcess("EchoExample", arguments: ["bench", "--threads", "1"] + arguments)
        let status = try await bench.waitForExit(within: 60)
        return (status, bench)
    }

    @Test(arguments: ["async", "handler"])
    func verifiesEchoedBytesOverTLS(api: String) async throws {
        let (server, port) = try await ExampleProcess.echoServer(TLSTestFiles.serverFlags + ["--api", api, "--threads", "1"])
        let (status, bench) = try await bench([
            "--connect", "127.0.0.1:\(port)", "--tls", "--tls-ca", TLSTestFiles.path("ca.pem"), "--tls-sni", "localhost",
            "-c", "4", "-s", "3000", "-p", "4", "-d", "0.5", "--warmup", "0.1",
        ])
        #expect(status == 0, "\(bench.printed)")
        let result = bench.lines.last ?? ""
        #expect(result.contains(" errors=0 mismatches=0 status=ok"), "\(result)")
        #expect(!result.contains(" msgs=0 "), "\(result)")
        #expect(try await server.stop() == 0)
        let totals = try server.totals()
        #expect(totals["accepted"] == 4)
        // bytes_in and bytes_out count TLS records on the wire: handshakes and tickets make
        // them differ, so the echo is checked by the bench itself (mismatches=0).
    }

    @Test(arguments: ["async", "handler"])
    func reconnectsWithResumedSessions(api: String) async throws {
        let (server, port) = try await ExampleProcess.echoServer(TLSTestFiles.serverFlags + ["--api", api, "--threads", "1"])
        let (status, bench) = try await bench([
            "--connect", "127.0.0.1:\(port)", "--tls", "--tls-ca", TLSTestFiles.path("ca.pem"), "--tls-sni", "localhost",
            "--reconnect", "--tls-resume", "-c", "2", "-s", "100", "-d", "1", "--warmup", "0.2",
        ])
        #expect(status == 0, "\(bench.printed)")
        let result = bench.lines.last ?? ""
        #expect(result.contains(" status=ok"), "\(result)")
        let fields = Dictionary(result.split(separator: " ").compactMap { field -> (String, String)? in
            let parts = field.split(separator: "=", maxSplits: 1)
            return parts.count == 2 ? (String(parts[0]), String(parts[1])) : nil
        }, uniquingKeysWith: { first, _ in first })
        let handshakes = Int(fields["handshakes"] ?? "") ?? 0
        let resumed = Int(fields["resumed"] ?? "") ?? 0
        #expect(handshakes > 0, "\(result)")
        #expect(resumed > 0 && resumed <= handshakes, "\(result)")
        #expect(Double(fields["handshakes_per_s"] ?? "") ?? 0 > 0, "\(result)")
        #expect(bench.printed.contains("handshakes/s"), "\(bench.printed)")
        #expect(try await server.stop() == 0)
    }

    @Test func reconnectsWithoutTLS() async throws {
        let (server, port) = try await ExampleProcess.echoServer(["--threads", "1"])
        let (status, bench) = try await bench(["--connect", "127.0.0.1:\(port)", "--reconnect", "-c", "2", "-s", "64", "-d", "0.5", "--warmup", "0.1"])
        #expect(status == 0, "\(bench.printed)")
        let result = bench.lines.last ?? ""
        #expect(result.contains(" resumed=0 ") && result.contains(" status=ok"), "\(result)")
        #expect(try await server.stop() == 0)
    }
}
