import CTestSpawn
import EventLoopTesting
import Foundation
import Synchronization

/// One of the package's example executables, started as a child process for an end-to-end or
/// reliability test (shared by those test targets).
/// Its output (standard output and error together) is collected in the background; `stop()`
/// ends it (SIGTERM, then SIGKILL).
///
/// Started with `posix_spawn` rather than Foundation's `Process`, whose start-up scan of the
/// parent's open descriptors reads past a buffer (AddressSanitizer reports it) when many are
/// open, as they are while tests run in parallel. The child starts as from a shell (no blocked
/// signals, default dispositions) with /dev/null as standard input, the output pipe as
/// standard output and error, and no other descriptor.
public final class ExampleProcess: Sendable {
    /// The child's process id.
    public let pid: pid_t
    /// The executable's file name, for messages.
    public let name: String
    private let output = Output()
    private let exit = Mutex<Int32?>(nil)

    final class Output: Sendable {
        let text = Mutex<String>("")
        /// Set when the pipe reached end of file: the process and its children closed it.
        let ended = Atomic<Bool>(false)
    }

    /// The built executable beside the test bundle (`swift test` builds the examples too).
    public static func executable(_ name: String) -> URL {
        let selfPath = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: selfPath).deletingLastPathComponent().appendingPathComponent(name)
    }

    /// Starts the program at `path` (an external one, such as `haproxy`), named `name` in messages.
    public convenience init(name: String, path: String, arguments: [String]) throws {
        try self.init(name, arguments: arguments, path: path)
    }

    /// Starts the program at `path` (any executable: `openssl` for the TLS interop tests) with
    /// `arguments`, the same way; `name` is used in messages.
    public convenience init(path: String, name: String, arguments: [String]) throws {
        try self.init(name, arguments: arguments, path: path)
    }

    /// Starts the built example `name` with `arguments`, or the program at `path` when given
    /// (`name` then only names it in messages).
    public init(_ name: String, arguments: [String], path: String? = nil) throws {
        self.name = name
        let path = path ?? ExampleProcess.executable(name).path
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var fds: [Int32] = [-1, -1]
        var child: pid_t = 0
        // The pipe is close-on-exec from birth (pipe2), so a child another test spawns at the
        // same moment cannot inherit it and hold its end of file back; this child gets its
        // write end as stdout and stderr only, and no other descriptor of the test process
        // (closefrom 3). No lock: spawns from parallel tests do not wait for each other, and a
        // test body (which runs on a reactor thread) never blocks on another test's spawn.
        let status: Int32 = {
            guard cts_pipe_cloexec(&fds) == 0 else { return errno }
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
            posix_spawn_file_actions_adddup2(&actions, fds[1], 2)
            cts_spawn_add_closefrom(&actions, 3)
            // Start as from a shell: no blocked signals, default dispositions (SIGPIPE included).
            var attributes = posix_spawnattr_t()
            posix_spawnattr_init(&attributes)
            defer { posix_spawnattr_destroy(&attributes) }
            var noSignals = sigset_t()
            var allSignals = sigset_t()
            sigemptyset(&noSignals)
            sigfillset(&allSignals)
            posix_spawnattr_setsigmask(&attributes, &noSignals)
            posix_spawnattr_setsigdefault(&attributes, &allSignals)
            posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
            let status = posix_spawn(&child, path, &actions, &attributes, argv, environ)
            close(fds[1])
            return status
        }()
        guard status == 0 else {
            if fds[0] >= 0 { close(fds[0]) }
            throw ExampleFailure("cannot start \(path): errno \(status)")
        }
        pid = child
        let (output, reader) = (self.output, fds[0])
        // A blocking read loop on a thread of its own: a Dispatch worker would hold a thread of
        // the shared pool for the process's lifetime, and with many servers it runs dry.
        Thread.detachNewThread {
            var chunk = [UInt8](repeating: 0, count: 16 * 1024)
            while true {
                let count = chunk.withUnsafeMutableBytes { read(reader, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                let text = String(decoding: chunk[..<count], as: UTF8.self)
                output.text.withLock { $0 += text }
            }
            close(reader)
            output.ended.store(true, ordering: .releasing)
        }
    }

    /// True until the process has exited (and been reaped here).
    public var isRunning: Bool { exitStatus == nil }

    /// The exit status once the process has exited: its exit code, or 128 + the signal that
    /// ended it; nil while it runs.
    public var exitStatus: Int32? {
        exit.withLock { known in
            if let known { return known }
            var status: Int32 = 0
            guard waitpid(pid, &status, WNOHANG) == pid else { return nil }
            let signal = status & 0x7F
            known = signal == 0 ? (status >> 8) & 0xFF : 128 + signal
            return known
        }
    }

    /// A process still running when its test lets go of it (a test that failed before stopping
    /// it) is killed, so no server outlives its test.
    deinit {
        if isRunning {
            kill(pid, SIGKILL)
            waitpid(pid, nil, 0)
        }
    }

    /// Starts the echo server with `arguments` (on 127.0.0.1, port 0, unless they say otherwise)
    /// and returns it with the port from its start line.
    public static func echoServer(_ arguments: [String], listen: [String] = ["127.0.0.1:0"]) async throws -> (ExampleProcess, UInt16) {
        let server = try ExampleProcess("EchoExample", arguments: ["serve"] + listen.flatMap { ["--listen", $0] } + arguments)
        do {
            return (server, try await server.listeningPort())
        } catch {
            _ = try? await server.stop(signal: SIGKILL)
            throw error
        }
    }

    /// Everything the process printed so far.
    public var printed: String { output.text.withLock { $0 } }

    /// The printed lines.
    public var lines: [Substring] { printed.split(separator: "\n") }

    /// Waits until the process printed `text`; throws ``TimeoutError`` (with the output) otherwise.
    public func waitForOutput(containing text: String, within seconds: Double = 20) async throws {
        try await waitUntil(within: seconds) { self.printed.contains(text) || self.output.ended.load(ordering: .acquiring) }
        guard printed.contains(text) else {
            throw ExampleFailure("expected \"\(text)\" in the output of \(name):\n\(printed)")
        }
    }

    /// The port of the first `HOST:PORT` (127.0.0.1 unless `host` says otherwise) in a
    /// `listening on` line.
    public func listeningPort(host: String = "127.0.0.1") async throws -> UInt16 {
        try await port(after: "listening on ", host: host)
    }

    /// Waits for a line containing `marker` and returns the port of the first `HOST:PORT`
    /// (127.0.0.1 unless `host` says otherwise) after the marker.
    public func port(after marker: String, host: String = "127.0.0.1") async throws -> UInt16 {
        try await waitForOutput(containing: marker)
        let line = printed.split(separator: "\n").first { $0.contains(marker) } ?? ""
        let tail = line[(line.range(of: marker)?.upperBound ?? line.startIndex)...]
        let pattern = host.replacingOccurrences(of: ".", with: "\\.") + #":(\d+)"#
        guard let range = tail.range(of: pattern, options: .regularExpression),
              let port = UInt16(tail[range].split(separator: ":").last ?? "") else {
            throw ExampleFailure("no port after \"\(marker)\" in: \(line)")
        }
        return port
    }

    /// The `key=value` counters of the server's final `stopped:` line.
    public func totals() throws -> [String: Int] {
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
    public func cpuSeconds() throws -> Double {
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        let fields = stat[stat.range(of: ")")!.upperBound...].split(separator: " ")
        let ticks = (Double(fields[11]) ?? 0) + (Double(fields[12]) ?? 0)
        return ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Sends `signal` (if the process still runs) and returns at once.
    public func send(_ signal: Int32) {
        if isRunning { kill(pid, signal) }
    }

    /// Waits (bounded) for the process to exit and its output to end; returns the exit status.
    /// Kills it and throws when it is still running after `seconds`.
    @discardableResult
    public func waitForExit(within seconds: Double = 20) async throws -> Int32 {
        do {
            try await waitUntil(within: seconds) { !self.isRunning }
        } catch {
            kill(pid, SIGKILL)
            try? await waitUntil(within: 30) { !self.isRunning }
            throw ExampleFailure("did not exit within \(seconds) s:\n\(printed)")
        }
        // The last lines may still be in the pipe: wait (bounded) for its end of file.
        try? await waitUntil(within: 30) { self.output.ended.load(ordering: .acquiring) }
        return exitStatus ?? -1
    }

    /// Sends `signal` and waits (bounded) for the exit; returns the exit status.
    @discardableResult
    public func stop(signal: Int32 = SIGTERM, within seconds: Double = 10) async throws -> Int32 {
        send(signal)
        do {
            return try await waitForExit(within: seconds)
        } catch {
            throw ExampleFailure("did not exit within \(seconds) s after signal \(signal):\n\(printed)")
        }
    }
}

/// A failed expectation about a child process (what it printed is in the description).
public struct ExampleFailure: Error, CustomStringConvertible {
    /// What went wrong.
    public let description: String
    /// A failure described by `description`.
    public init(_ description: String) { self.description = description }
}
