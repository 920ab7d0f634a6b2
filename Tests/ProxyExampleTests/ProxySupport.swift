import EventLoop
import EventLoopTesting
import Foundation
import Glibc
import TestSupport

/// How big the transfer tests are: the suite also runs under ThreadSanitizer and
/// AddressSanitizer (`.ci/run` sets `TSAN_OPTIONS` / `ASAN_OPTIONS`), where every byte costs
/// several times more; `EVENTLOOP_PROXY_MEGABYTES` overrides.
enum ProxyScale {
    static let environment = ProcessInfo.processInfo.environment
    static let underSanitizer = environment["TSAN_OPTIONS"] != nil || environment["ASAN_OPTIONS"] != nil

    /// MiB moved each way by the integrity test (256, or 32 under a sanitizer).
    static var integrityMegabytes: Int {
        environment["EVENTLOOP_PROXY_MEGABYTES"].flatMap { Int($0) } ?? (underSanitizer ? 32 : 256)
    }
}

/// Raised once per test process (2,000-pair tests need more than 1,024 fds); children inherit it.
let fileLimitRaised: Int = FileDescriptorLimit.raiseToHardLimit()

extension ExampleProcess {
    /// Starts the proxy on 127.0.0.1, port 0, in front of `upstreams` (loopback ports), with
    /// `arguments`; returns it with its port.
    static func proxy(upstreams: [UInt16], _ arguments: [String] = []) async throws -> (ExampleProcess, UInt16) {
        _ = fileLimitRaised
        let upstreamArguments = upstreams.flatMap { ["--upstream", "127.0.0.1:\($0)"] }
        let proxy = try ExampleProcess("ProxyExample", arguments: ["--listen", "127.0.0.1:0"] + upstreamArguments + arguments)
        do {
            return (proxy, try await proxy.listeningPort())
        } catch {
            _ = try? await proxy.stop(signal: SIGKILL)
            throw error
        }
    }

    /// The metrics page's port from the start line (`metrics on http://127.0.0.1:PORT/metrics`).
    func metricsPort() async throws -> UInt16 {
        try await port(after: "metrics on http://")
    }

    /// Resident memory of the process in bytes (VmRSS).
    func residentBytes() throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "") else {
            throw ExampleFailure("no VmRSS for \(pid)")
        }
        return kilobytes * 1024
    }

    /// Descriptors the process has open now.
    func openDescriptorCount() throws -> Int {
        try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count
    }
}

/// An upstream server inside the test process: a listener on 127.0.0.1 (port 0) whose
/// connections run `handler` on their reactor.
final class TestUpstream: Sendable {
    let listener: Listener

    init(group: ReactorGroup, backlog: Int32 = 1024, _ handler: @escaping @Sendable (TCPConn) async -> Void) async throws {
        listener = try await Listener.listen(.loopbackIPv4(), group: group, backlog: backlog)
        let listener = self.listener
        Task { await listener.serve(handler) }
    }

    var port: UInt16 { listener.address.port ?? 0 }

    func close() { listener.close() }

    /// An upstream that echoes every byte back until the client ends its stream, then ends its own.
    static func echo(group: ReactorGroup) async throws -> TestUpstream {
        try await TestUpstream(group: group) { conn in
            defer { conn.close() }
            var buffer = ByteBuffer()
            while true {
                guard let count = try? await conn.read(into: &buffer), count > 0 else { break }
                guard (try? await conn.write(buffer)) != nil else { return }
                buffer.clear()
            }
            try? await conn.closeWrite()
        }
    }
}

/// Pattern bytes for a stream, built a chunk at a time (1 MiB).
enum Stream {
    static let chunk = 1 << 20

    /// Writes `count` bytes of the pattern of `seed` to `conn`.
    static func send(_ count: Int, seed: Int, to conn: TCPConn) async throws {
        let block = patternBuffer(size: chunk + 251, seed: seed)
        var sent = 0
        while sent < count {
            let length = min(chunk, count - sent)
            var slice = block
            slice.moveReaderIndex(forwardBy: sent % 251)
            slice = slice.getSlice(at: slice.readerIndex, length: length) ?? slice
            try await conn.write(slice)
            sent += length
        }
    }

    /// Reads until end of stream and checks every byte against the pattern of `seed`;
    /// returns the count and whether every byte matched.
    static func receive(seed: Int, from conn: TCPConn) async throws -> (count: Int, intact: Bool) {
        let expected = patternBuffer(size: chunk + 251 + 64 * 1024, seed: seed)
        var buffer = ByteBuffer(capacity: 64 * 1024)
        var received = 0
        var intact = true
        while true {
            buffer.clear()
            let count = try await conn.read(into: &buffer)
            if count == 0 { return (received, intact) }
            let offset = received % 251
            let same = buffer.withUnsafeReadableBytes { got in
                expected.withUnsafeReadableBytes { want in
                    memcmp(got.baseAddress!, want.baseAddress! + offset, got.count) == 0
                }
            }
            intact = intact && same
            received += count
        }
    }
}
