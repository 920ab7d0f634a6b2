import EventLoopTesting
import Foundation
import Synchronization

/// One of the package's example executables, started as a child process for an end-to-end test.
/// Its output is collected in the background; `stop()` ends it (SIGTERM, then SIGKILL).
final class ExampleProcess: Sendable {
    let process: Process
    private let output = Output()

    final class Output: Sendable {
        let text = Mutex<String>("")
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
            if !data.isEmpty { output.text.withLock { $0 += String(decoding: data, as: UTF8.self) } }
        }
        try process.run()
    }

    /// Everything the process printed so far.
    var printed: String { output.text.withLock { $0 } }

    /// Waits until the process printed `text`; throws ``TimeoutError`` (with the output) otherwise.
    func waitForOutput(containing text: String, within seconds: Double = 20) async throws {
        try await waitUntil(within: seconds) { self.printed.contains(text) || !self.process.isRunning }
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

    /// CPU time (user + system) the process has used, in seconds.
    func cpuSeconds() throws -> Double {
        let stat = try String(contentsOfFile: "/proc/\(process.processIdentifier)/stat", encoding: .utf8)
        let fields = stat[stat.range(of: ")")!.upperBound...].split(separator: " ")
        let ticks = (Double(fields[11]) ?? 0) + (Double(fields[12]) ?? 0)
        return ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Sends `signal` and waits (bounded) for the exit; returns the exit status.
    @discardableResult
    func stop(signal: Int32 = SIGTERM, within seconds: Double = 10) async throws -> Int32 {
        if process.isRunning { kill(process.processIdentifier, signal) }
        do {
            try await waitUntil(within: seconds) { !self.process.isRunning }
        } catch {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw ExampleFailure("did not exit within \(seconds) s after signal \(signal):\n\(printed)")
        }
        return process.terminationStatus
    }
}

struct ExampleFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
