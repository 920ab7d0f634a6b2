import EventLoopTesting
import Foundation
import Synchronization

/// A built example executable (`EchoExample serve` or `bench`) started as a child process.
/// Its standard output and error are collected in the background; a child still running when
/// the value goes away is killed, so no process outlives its test.
///
/// Started with `posix_spawn` (not Foundation's `Process`, whose scan of the parent's open
/// descriptors misbehaves with many open), with /dev/null as input, no blocked signals, default
/// dispositions, and no descriptor but the output pipe: the ones this process holds are marked
/// close-on-exec first, so a child with a lowered fd limit starts with only 0, 1 and 2.
final class ChildProcess: Sendable {
    let pid: pid_t
    let name: String
    private let collected = Collected()
    private let exit = Mutex<Int32?>(nil)
    private static let spawning = Mutex<Void>(())

    private final class Collected: Sendable {
        let text = Mutex<String>("")
        /// Set when the pipe reached end of file (the child and its children closed it).
        let ended = Atomic<Bool>(false)
    }

    /// The built executable beside the test bundle (`swift test` builds the examples too).
    static func executable(_ name: String) -> String {
        let selfPath = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: selfPath).deletingLastPathComponent().appendingPathComponent(name).path
    }

    init(_ name: String, arguments: [String]) throws {
        self.name = name
        let path = ChildProcess.executable(name)
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var fds: [Int32] = [-1, -1]
        var child: pid_t = 0
        // One spawn at a time, so no other child inherits this pipe between pipe() and its flags.
        let status = ChildProcess.spawning.withLock { _ -> Int32 in
            ChildProcess.markDescriptorsCloseOnExec()
            guard pipe(&fds) == 0 else { return errno }
            _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
            _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
            posix_spawn_file_actions_adddup2(&actions, fds[1], 2)
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
        }
        guard status == 0 else {
            if fds[0] >= 0 { close(fds[0]) }
            throw ReliabilityFailure("cannot start \(path): errno \(status)")
        }
        pid = child
        let (collected, reader) = (self.collected, fds[0])
        // A blocking reader on a thread of its own (not a Dispatch worker held for the child's life).
        Thread.detachNewThread {
            var chunk = [UInt8](repeating: 0, count: 16 * 1024)
            while true {
                let count = chunk.withUnsafeMutableBytes { read(reader, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                let text = String(decoding: chunk[..<count], as: UTF8.self)
                collected.text.withLock { $0 += text }
            }
            close(reader)
            collected.ended.store(true, ordering: .releasing)
        }
    }

    /// Reads `/proc/self/fd` entries in place (a `dirent` is shorter than its struct).
    private static func markDescriptorsCloseOnExec() {
        guard let directory = opendir("/proc/self/fd") else { return }
        defer { closedir(directory) }
        let own = dirfd(directory)
        let nameOffset = MemoryLayout<dirent>.offset(of: \dirent.d_name)!
        while let entry = readdir(directory) {
            let name = String(cString: (UnsafeRawPointer(entry) + nameOffset).assumingMemoryBound(to: CChar.self))
            guard let fd = Int32(name), fd > 2, fd != own else { continue }
            let flags = fcntl(fd, F_GETFD)
            if flags >= 0 && flags & FD_CLOEXEC == 0 { _ = fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
        }
    }

    var isRunning: Bool { exitStatus == nil }

    /// The exit code (128 + signal when killed), once exited and reaped; nil while running.
    var exitStatus: Int32? {
        exit.withLock { known in
            if let known { return known }
            var status: Int32 = 0
            guard waitpid(pid, &status, WNOHANG) == pid else { return nil }
            let signal = status & 0x7F
            known = signal == 0 ? (status >> 8) & 0xFF : 128 + signal
            return known
        }
    }

    deinit {
        if isRunning {
            kill(pid, SIGKILL)
            waitpid(pid, nil, 0)
        }
    }

    /// `EchoExample serve` on 127.0.0.1 port 0 with `arguments`, and the port it printed.
    static func echoServer(_ arguments: [String]) async throws -> (ChildProcess, UInt16) {
        let server = try ChildProcess("EchoExample", arguments: ["serve", "--listen", "127.0.0.1:0"] + arguments)
        do {
            return (server, try await server.listeningPort())
        } catch {
            _ = try? await server.stop(signal: SIGKILL)
            throw error
        }
    }

    var printed: String { collected.text.withLock { $0 } }

    func waitForOutput(containing text: String, within seconds: Double = 20) async throws {
        try await waitUntil(within: seconds) { self.printed.contains(text) || self.collected.ended.load(ordering: .acquiring) }
        guard printed.contains(text) else { throw ReliabilityFailure("expected \"\(text)\" from \(name):\n\(printed)") }
    }

    func listeningPort() async throws -> UInt16 {
        try await waitForOutput(containing: "listening on ")
        let line = printed.split(separator: "\n").first { $0.contains("listening on ") } ?? ""
        guard let range = line.range(of: #"127\.0\.0\.1:(\d+)"#, options: .regularExpression),
              let port = UInt16(line[range].split(separator: ":").last ?? "") else {
            throw ReliabilityFailure("no port in: \(line)")
        }
        return port
    }

    /// CPU time (user + system) used so far, in seconds.
    func cpuSeconds() throws -> Double {
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        let fields = stat[stat.range(of: ")")!.upperBound...].split(separator: " ")
        let ticks = (Double(fields[11]) ?? 0) + (Double(fields[12]) ?? 0)
        return ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Waits (bounded) for the exit and the end of the output; kills the child and throws on timeout.
    @discardableResult
    func waitForExit(within seconds: Double) async throws -> Int32 {
        do {
            try await waitUntil(within: seconds) { !self.isRunning }
        } catch {
            kill(pid, SIGKILL)
            try? await waitUntil(within: 5) { !self.isRunning }
            throw ReliabilityFailure("\(name) did not exit within \(seconds) s:\n\(printed)")
        }
        try? await waitUntil(within: 5) { self.collected.ended.load(ordering: .acquiring) }
        return exitStatus ?? -1
    }

    @discardableResult
    func stop(signal: Int32 = SIGTERM, within seconds: Double = 10) async throws -> Int32 {
        if isRunning { kill(pid, signal) }
        return try await waitForExit(within: seconds)
    }
}
