import TestSupport
import EventLoop
import EventLoopTesting
import Foundation
import Testing

/// `EchoExample bench` against the server, a closed port, and a server that answers wrongly.
/// One at a time: a load run takes both cores for a moment, and the rest of the suite (timing
/// tests under the sanitizers among them) should not see two at once.
@Suite(.serialized) struct BenchCommandTests {
    /// Starts `bench` with `arguments` and waits (bounded) for its exit.
    func bench(_ arguments: [String]) async throws -> (status: Int32, output: ExampleProcess) {
        let bench = try ExampleProcess("EchoExample", arguments: ["bench", "--threads", "1"] + arguments)
        let status = try await bench.waitForExit(within: 60)
        return (status, bench)
    }

    @Test(arguments: ["async", "handler"])
    func measuresTheServer(api: String) async throws {
        let (server, port) = try await ExampleProcess.echoServer(["--api", api, "--threads", "1"])
        let (status, bench) = try await bench(["--connect", "127.0.0.1:\(port)", "-c", "4", "-s", "3000", "-p", "4", "-d", "0.5", "--warmup", "0.1"])
        #expect(status == 0, "\(bench.printed)")
        let result = bench.lines.last ?? ""
        #expect(result.hasPrefix("RESULT mode=bench conns=4 size=3000 pipeline=4 duration_s=0.5 "), "\(result)")
        #expect(result.contains(" errors=0 mismatches=0 status=ok"), "\(result)")
        #expect(!result.contains(" msgs=0 "))
        for key in ["msgs_per_s=", "MBps=", "p50_us=", "p90_us=", "p99_us=", "p999_us=", "max_us="] {
            #expect(result.contains(key))
        }
        #expect(bench.printed.contains("latency µs  p50"))
        let progress = bench.lines.filter { $0.range(of: #"^[0-9.]+ s: "#, options: .regularExpression) != nil }
        #expect(progress.isEmpty, "no progress lines when the output is not a terminal")
        #expect(try await server.stop() == 0)
        let totals = try server.totals()
        #expect(totals["accepted"] == 4)
        #expect(totals["bytes_in"] == totals["bytes_out"])
    }

    @Test func failsClearlyWhenNothingListens() async throws {
        try await withRefusingPort { port in
            let start = ContinuousClock.now
            let (status, bench) = try await bench(["--connect", "127.0.0.1:\(port)", "-c", "3", "-d", "1"])
            #expect(status != 0)
            #expect(secondsSince(start) < 30)
            #expect(bench.printed.contains("cannot connect to 127.0.0.1:\(port)"))
            #expect(bench.printed.contains("connection refused"))
            #expect(bench.lines.last?.hasSuffix("status=fail") == true, "\(bench.printed)")
        }
    }

    /// Against the line protocol every answer differs from the message: a mismatch, and failure.
    @Test func reportsMismatches() async throws {
        let (server, port) = try await ExampleProcess.echoServer(["--mode", "line"])
        let (status, bench) = try await bench(["--connect", "127.0.0.1:\(port)", "-c", "1", "-s", "4096", "-d", "0.5", "--warmup", "0"])
        #expect(status != 0)
        #expect(bench.lines.last?.contains(" mismatches=1 status=fail") == true, "\(bench.printed)")
        #expect(try await server.stop() == 0)
    }
}
