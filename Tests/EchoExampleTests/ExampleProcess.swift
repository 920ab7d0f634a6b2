import EventLoopTesting
import Foundation
import Synchronization

/// One of the package's example executables, started as a child process for an end-to-end test.
/// Its output (standard output and error together) is collected in the background; `stop()`
/// ends it (SIGTERM, then SIGKILL).
final class ExampleProcess: Sendable {
    let process: Process
    private let output = Output()

    final class Output: Sendable {
        let text = Mutex<String>("")
        /// Set when the pipe reached end of file: the process and its children closed it.
        let ended = Atomic<Bool>(false)
    }

    /// The built executable beside the test bundle (`swift test` builds the examples too).
    static func executable(_ name: String) -> URL {
        let selfPath = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: selfPath).deletingLastPathComponent().appendingPathComponent(name)
    }

    init(_ name: String, arguments: [String]) throws {
        process = Process()
        process.executableURL = ExampleProcess.executable(name)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let output = self.output
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty {
                handle.readabilityHandler = nil
                output.ended.store(true, ordering: .releasing)
            } else {
                output.text.withLock { $0 += String(decoding: data, as: UTF8.self) }
            }
        }
        try process.run()
    }

    /// Starts the echo server with `arguments` (on 127.0.0.1, port 0, unless they say otherwise)
    /// and returns it with the port from its start line.
    static func echoServer(_ arguments: [String], listen: [String] = ["127.0.0.1:0"]) async throws -> (ExampleProcess, UInt16) {
        let server = try ExampleProcess("EchoExample", arguments: ["serve"] + listen.flatMap { ["--listen", $0] } + arguments)
        do {
            return (server, try await server.listeningPort())
        } catch {
            _ = try? await server.stop(signal: SIGKILL)
            throw error
        }
    }

    /// Everything the process printed so far.
    var printed: String { output.text.withLock { $0 } }

    /// The printed lines.
    var lines: [Substring] { printed.split(separator: "\n") }

    /// Waits until the process printed `text`; throws ``TimeoutError`` (with the output) otherwise.
    func waitForOutput(containing text: String, within seconds: Double = 20) async throws {
        try await waitUntil(within: seconds) { self.printed.contains(text) || self.output.ended.load(ordering: .acquiring) }
        guard printed.contains(text) else {
            throw ExampleFailure("expected \"\(text)\" in the output of \(process.executableURL!.lastPathComponent):\n\(printed)")
        }
    }

    /// The port of the first `127.0.0.1:PORT` in a `listening on` line.
    func listeningPort() async throws -> UInt16 {
        try await waitForOutput(containing: "listening on ")
        let line = printed.split(separator: "\n").first { $0.contains("listening on ") } ?? ""
        guard let range = line.range(of: #"127\.0\.0\.1:(\d+)"#, options: .regularExpression),
              let port = UInt16(line[range].split(separator: ":").last ?? "") else {
            throw ExampleFailure("no port in: \(line)")
        }
        return port
    }

    /// The `key=value` counters of the server's final `stopped:` line.
    func totals() throws -> [String: Int] {
        guard let line = lines.last(where: { $0.hasPrefix("stopped:") }) else {
            throw ExampleFailure("no stopped line in:\n\(printed)")
        }
        var totals: [String: Int] = [:]
        for field in line.split(separator: " ").dropFirst() {
            let parts = field.split(separator: "=", maxSplits: 1)
            if parts.count == 2, let value = Int(parts[1]) { totals[String(parts[0])] = value }
        }
        return totals
    }

    /// CPU time (user + system) the process has used, in seconds.
    func cpuSeconds() throws -> Double {
        let stat = try String(contentsOfFile: "/proc/\(process.processIdentifier)/stat", encoding: .utf8)
        let fields = stat[stat.range(of: ")")!.upperBound...].split(separator: " ")
        let ticks = (Double(fields[11]) ?? 0) + (Double(fields[12]) ?? 0)
        return ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Sends `signal` (if the process still runs) and returns at once.
    func send(_ signal: Int32) {
        if process.isRunning { kill(process.processIdentifier, signal) }
    }

    /// Waits (bounded) for the process to exit and its output to end; returns the exit status.
    /// Kills it and throws when it is still running after `seconds`.
    @discardableResult
    func waitForExit(within seconds: Double = 20) async throws -> Int32 {
        do {
            try await waitUntil(within: seconds) { !self.process.isRunning }
        } catch {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw ExampleFailure("did not exit within \(seconds) s:\n\(printed)")
        }
        // The last lines may still be in the pipe: wait (bounded) for its end of file.
        try? await waitUntil(within: 5) { self.output.ended.load(ordering: .acquiring) }
        return process.terminationStatus
    }

    /// Sends `signal` and waits (bounded) for the exit; returns the exit status.
    @discardableResult
    func stop(signal: Int32 = SIGTERM, within seconds: Double = 10) async throws -> Int32 {
        send(signal)
        do {
            return try await waitForExit(within: seconds)
        } catch {
            throw ExampleFailure("did not exit within \(seconds) s after signal \(signal):\n\(printed)")
        }
    }
}

struct ExampleFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
