import EventLoopTesting
import Foundation
import Glibc
import TestSupport
import Testing

extension NetlabTests {
    /// EchoExample on the server side, its clients on the client side, across the shaped link.
    @Suite struct EchoAcrossLink {
        /// The bench client (raw mode) checks every echoed byte for 3 s across the lossy,
        /// reordering, rate-limited link: no mismatch, no error, and the server frees every
        /// descriptor afterwards.
        @Test(.timeLimit(.minutes(1)))
        func benchVerifiesEveryByteInRawMode() async throws {
            try await withNetlab { lab in
                let (server, port) = try await echoServer(in: lab, ["--threads", "2"])
                let idle = server.openSockets
                let bench = try lab.example("EchoExample", in: lab.clientSide,
                                            ["bench", "--connect", "\(Netlab.serverAddress):\(port)", "-c", "4", "-s", "4096",
                                             "-p", "8", "-d", "3", "--warmup", "0.5", "--threads", "1"])
                let status = try await bench.waitForExit(within: 30)
                let result = bench.fields(ofLineStartingWith: "RESULT")
                print("netlab: bench raw across the shaped link: \(result["msgs_per_s"] ?? "?") msgs/s, \(result["MBps"] ?? "?") MB/s, p99 \(result["p99_us"] ?? "?") µs")
                #expect(status == 0, "bench: \(bench.printed)")
                #expect(result["status"] == "ok" && result["mismatches"] == "0" && result["errors"] == "0", "\(bench.printed)")
                #expect(Int(result["msgs"] ?? "") ?? 0 > 0)
                try await waitForSockets(of: server, atMost: idle, within: 30)
                #expect(try await server.stop() == 0)
            }
        }

        /// Line mode: 20,000 lines of 0 to 299 characters sent by a client that then half-closes;
        /// the answers (`Echo: LINE`) are hashed on arrival and compared with the expected ones.
        @Test(.timeLimit(.minutes(1)))
        func lineModeAnswersEveryLine() async throws {
            let files = try TestFiles()
            defer { files.remove() }
            var lines = "", answers = ""
            var generator = SystemRandomNumberGenerator()
            for index in 0..<20_000 {
                let length = Int.random(in: 0..<300, using: &generator)
                let line = "\(index):" + String(repeating: Character(UnicodeScalar(UInt8(97 + index % 26))), count: length)
                lines += line + "\n"
                answers += "Echo: \(line)\n"
            }
            let input = try files.write(lines, named: "lines.txt")
            let expected = try await sha256(ofFile: try files.write(answers, named: "answers.txt"))
            try await withNetlab { lab in
                let (server, port) = try await echoServer(in: lab, ["--mode", "line"])
                let idle = server.openSockets
                let client = try lab.shell(in: lab.clientSide,
                                           "\(Tools.socat) -t 30 STDIO TCP:\(Netlab.serverAddress):\(port) < \(input) | sha256sum")
                #expect(try await client.waitForExit(within: 60) == 0, "\(client.printed)")
                #expect(client.printed.contains(expected), "digest of the answers: \(client.printed), expected \(expected)")
                try await waitForSockets(of: server, atMost: idle, within: 30)
                #expect(try await server.stop() == 0)
                #expect(try server.totals()["bytes_out"] == answers.utf8.count)
            }
        }

        /// UDP echo across 1 % loss each way and 5 % reordering: the share of datagrams the
        /// bench never got back (`lost` less `late`: counted lost after the 1 s loss timeout, yet
        /// echoed later, as on a starved machine) is near the emulated round-trip loss
        /// (1 − 0.99² ≈ 2 %), every echo that came back is right, and the server keeps running.
        @Test(.timeLimit(.minutes(1)))
        func udpLossMatchesTheEmulatedLoss() async throws {
            try await withNetlab { lab in
                let server = try lab.example("EchoExample", in: lab.serverSide,
                                             ["serve", "--udp-listen", "\(Netlab.serverAddress):0", "--threads", "1"])
                let port = try await server.port(after: "listening on ", host: Netlab.serverAddress)
                let bench = try lab.example("EchoExample", in: lab.clientSide,
                                            ["bench", "--udp", "--connect", "\(Netlab.serverAddress):\(port)", "-c", "4", "-s", "256",
                                             "-p", "16", "-d", "4", "--warmup", "0.5", "--loss-timeout", "1000",
                                             "--max-loss-pct", "100", "--threads", "1"])
                let status = try await bench.waitForExit(within: 30)
                let result = bench.fields(ofLineStartingWith: "RESULT")
                let sent = Int(result["sent"] ?? "") ?? 0
                let neverEchoed = (Int(result["lost"] ?? "") ?? 0) - (Int(result["late"] ?? "") ?? 0)
                let loss = sent > 0 ? Double(neverEchoed) * 100 / Double(sent) : -1
                print("netlab: UDP echo across 1 % loss each way: sent \(sent), lost \(result["lost"] ?? "?") (\(result["loss_pct"] ?? "?") %),"
                      + " late \(result["late"] ?? "?"), never echoed \(String(format: "%.1f", loss)) %")
                #expect(status == 0, "bench: \(bench.printed)")
                #expect(result["mismatches"] == "0" && result["errors"] == "0", "\(bench.printed)")
                #expect(sent >= 1_000, "\(bench.printed)")
                #expect(loss >= 0.5 && loss <= 5, "round-trip loss near 2 %: \(bench.printed)")
                #expect(server.isRunning)
                #expect(try await server.stop() == 0)
            }
        }
    }
}
