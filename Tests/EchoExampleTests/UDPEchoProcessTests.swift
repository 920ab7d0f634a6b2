import TestSupport
import EventLoop
import EventLoopTesting
import Foundation
import Testing

/// `serve --udp-listen` and `bench --udp` as a user runs them: child processes, port 0, real
/// sockets. One at a time: a load run takes both cores for a moment.
@Suite(.serialized) struct UDPEchoProcessTests {
    /// The port of `udp 127.0.0.1:PORT` in the server's `listening on` line.
    func udpPort(of server: ExampleProcess) async throws -> UInt16 {
        try await server.waitForOutput(containing: "listening on ")
        let line = server.lines.first { $0.contains("listening on ") } ?? ""
        guard let range = line.range(of: #"udp 127\.0\.0\.1:(\d+)"#, options: .regularExpression),
              let port = UInt16(line[range].split(separator: ":").last ?? "") else {
            throw ExampleFailure("no UDP port in: \(line)")
        }
        return port
    }

    @Test(arguments: ["async", "handler"])
    func echoesDatagramsWithoutTCPListeners(api: String) async throws {
        let (server, port) = try await ExampleProcess.echoServer(["--udp-listen", "127.0.0.1:0", "--threads", "2", "--api", api], listen: [])
        #expect(try await udpPort(of: server) == port)
        #expect(!server.printed.contains("0.0.0.0:9000"), "no TCP listener when only --udp-listen is given")
        try await withReactorGroup(timeout: 60) { group in
            let conn = try await UDPConn.connect(to: .loopbackIPv4(port: port), on: group.reactors[0])
            defer { conn.close() }
            conn.setReadDeadline(.now + .seconds(10))
            for size in [1, 1472, 65_507] {
                let message = patternBuffer(size: size, seed: size)
                try await conn.write(message)
                var reply = ByteBuffer()
                #expect(try await conn.read(into: &reply).count == size)
                #expect(sameBytes(reply, message), "size \(size)")
            }
        }
        #expect(try await server.stop() == 0)
        let totals = try server.totals()
        // At least ours, every one echoed: UDP ports are reused quickly, and a parallel test that
        // sends to a port it saw closed may reach this server too (seen under a sanitizer).
        #expect((totals["datagrams_in"] ?? 0) >= 3)
        #expect(totals["datagrams_out"] == totals["datagrams_in"])
        #expect(totals["accepted"] == 0)
    }

    @Test func servesTCPAndUDPTogether() async throws {
        let (server, tcpPort) = try await ExampleProcess.echoServer(["--udp-listen", "127.0.0.1:0", "--threads", "1"])
        let udpPort = try await udpPort(of: server)
        try await withReactorGroup(timeout: 60) { group in
            let tcp = try await Dialer().dial(.loopbackIPv4(port: tcpPort), group: group)
            let udp = try await UDPConn.connect(to: .loopbackIPv4(port: udpPort), on: group.reactors[0])
            defer { tcp.close(); udp.close() }
            try await tcp.write(Array("stream".utf8))
            var reply = ByteBuffer()
            try await tcp.readExactly(6, into: &reply)
            #expect(reply.readString(length: 6) == "stream")
            udp.setReadDeadline(.now + .seconds(10))
            try await udp.write(ByteBuffer(string: "datagram"))
            #expect(try await udp.read(into: &reply).count == 8)
            #expect(reply.readString(length: 8) == "datagram")
        }
        #expect(try await server.stop() == 0)
        #expect(try server.totals()["accepted"] == 1)
    }

    @Test(arguments: ["1", "32"])
    func benchMeasuresTheServer(batch: String) async throws {
        let (server, port) = try await ExampleProcess.echoServer(["--udp-listen", "127.0.0.1:0", "--threads", "1"], listen: [])
        let bench = try ExampleProcess("EchoExample", arguments: ["bench", "--udp", "--connect", "127.0.0.1:\(port)", "--threads", "1",
                                                                  "-c", "2", "-s", "100", "-p", "4", "--batch", batch,
                                                                  "-d", "0.5", "--warmup", "0.1", "--max-loss-pct", "5"])
        let status = try await bench.waitForExit(within: 60)
        #expect(status == 0, "\(bench.printed)")
        let result = bench.lines.last ?? ""
        #expect(result.hasPrefix("RESULT mode=udp flows=2 size=100 pipeline=4 batch=\(batch) duration_s=0.5 "), "\(result)")
        #expect(result.hasSuffix(" errors=0 mismatches=0 status=ok"), "\(result)")
        #expect(!result.contains(" msgs=0 "))
        for key in ["pps=", "MBps=", "p50_us=", "p99_us=", "p999_us=", "max_us=", "sent=", "lost=", "loss_pct=", "late="] {
            #expect(result.contains(key), "\(key)")
        }
        #expect(bench.printed.contains("latency µs  p50"))
        #expect(try await server.stop() == 0)
        let totals = try server.totals()
        #expect((totals["datagrams_in"] ?? 0) > 0)
        #expect(totals["datagrams_in"] == totals["datagrams_out"])
    }

    @Test func benchFailsClearlyWhenNothingListens() async throws {
        // A UDP port nothing is bound to: bound once, read back, closed.
        let port = try await withReactorGroup { group in
            let probe = try await UDPConn.bind(.loopbackIPv4(), on: group.reactors[0])
            defer { probe.close() }
            return probe.localAddress!.port!
        }
        let bench = try ExampleProcess("EchoExample", arguments: ["bench", "--udp", "--connect", "127.0.0.1:\(port)", "--threads", "1",
                                                                  "-c", "2", "-d", "1"])
        let status = try await bench.waitForExit(within: 60)
        #expect(status != 0)
        #expect(bench.printed.contains("cannot reach 127.0.0.1:\(port) over UDP"), "\(bench.printed)")
        #expect(bench.printed.contains("connection refused"), "\(bench.printed)")
        #expect(bench.lines.last?.hasPrefix("RESULT mode=udp ") == true)
        #expect(bench.lines.last?.hasSuffix("status=fail") == true, "\(bench.printed)")
    }
}
