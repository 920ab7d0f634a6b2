import CTestSpawn
import Foundation
import Glibc

/// A network namespace made for one test, with its loopback up and an nftables input chain
/// where the test adds rules that drop packets: a peer on it can be made to vanish without
/// closing anything. Children run in it with `ip netns exec` (the test process itself stays
/// in its own namespace).
///
/// Needs root (CAP_NET_ADMIN) and the `ip`, `nft` programs: ``with(_:_:)`` skips its body, with
/// the reason printed, when any is missing, and deletes the namespace after the body, also when
/// it throws. The `ip` and `nft` commands run on a thread of their own, never on the tasks'
/// shared pool (a slow `ip netns add` on a loaded machine must not hold up other tests).
public final class DropNamespace: Sendable {
    /// The namespace's name: unique per process and call.
    public let name: String
    static let ip = "/usr/sbin/ip"

    private init(name: String) {
        self.name = name
    }

    /// Runs `body` with a fresh namespace named after `label` and deletes the namespace
    /// afterwards (also when `body` throws; stop its children inside `body`). Where no
    /// namespace can be made, prints why and returns without running `body`.
    public static func with(_ label: String, _ body: (DropNamespace) async throws -> Void) async throws {
        guard let namespace = await make(label) else { return }
        do {
            try await body(namespace)
        } catch {
            await namespace.remove()
            throw error
        }
        await namespace.remove()
    }

    /// A fresh namespace named after `label`, or nil (reason printed) where this cannot run.
    static func make(_ label: String) async -> DropNamespace? {
        guard geteuid() == 0 else { return skip("needs root (CAP_NET_ADMIN) to create a network namespace") }
        guard access(ip, X_OK) == 0 else { return skip("needs \(ip) (iproute2)") }
        guard findProgram("nft") != nil else { return skip("needs nft (nftables) to drop packets") }
        let name = "el-\(label.prefix(12))-\(getpid())-\(UInt16.random(in: 0...UInt16.max))"
        guard await run([ip, "netns", "add", name]).status == 0 else {
            return skip("cannot create a network namespace (ip netns add failed)")
        }
        let namespace = DropNamespace(name: name)
        let setUp = [
            ["ip", "link", "set", "lo", "up"],
            ["nft", "add", "table", "inet", "blackhole"],
            ["nft", "add", "chain", "inet", "blackhole", "incoming", "{ type filter hook input priority 0 ; }"],
        ]
        for command in setUp {
            let result = await namespace.run(command)
            guard result.status == 0 else {
                await namespace.remove()
                return skip("cannot set up the namespace: \(command.joined(separator: " ")): \(result.output)")
            }
        }
        return namespace
    }

    /// Adds an nftables rule to the namespace's input chain, e.g. `tcp dport 9000 drop`.
    /// Throws when nft refuses it.
    public func drop(_ rule: String) async throws {
        let result = await run(["nft", "add", "rule", "inet", "blackhole", "incoming"] + rule.split(separator: " ").map(String.init))
        guard result.status == 0 else { throw ExampleFailure("nft add rule \(rule): \(result.output)") }
    }

    /// Starts `program` (a path, or a name found on PATH) with `arguments` inside the namespace.
    public func start(_ program: String, _ arguments: [String]) throws -> ExampleProcess {
        let path = program.hasPrefix("/") ? program : (DropNamespace.findProgram(program) ?? program)
        return try ExampleProcess((program as NSString).lastPathComponent,
                                  arguments: ["netns", "exec", name, path] + arguments, path: DropNamespace.ip)
    }

    /// Deletes the namespace. Idempotent.
    func remove() async {
        _ = await DropNamespace.run([DropNamespace.ip, "netns", "delete", name])
    }

    /// Runs `command` inside the namespace to completion.
    func run(_ command: [String]) async -> (status: Int32, output: String) {
        await DropNamespace.run([DropNamespace.ip, "netns", "exec", name] + command)
    }

    /// ``runBlocking(_:)`` on a thread of its own.
    static func run(_ argv: [String]) async -> (status: Int32, output: String) {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: runBlocking(argv)) }
        }
    }

    /// Where `program` is on PATH, or nil.
    public static func findProgram(_ program: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/sbin:/usr/bin:/sbin:/bin"
        let directories = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin"]
        return directories.map { "\($0)/\(program)" }.first { access($0, X_OK) == 0 }
    }

    private static func skip(_ reason: String) -> DropNamespace? {
        print("skipped: \(reason)")
        return nil
    }

    /// Runs `argv` (a path and its arguments) to completion, bounded by the commands' own
    /// speed (ip and nft return at once), with its output collected.
    static func runBlocking(_ argv: [String]) -> (status: Int32, output: String) {
        var fds: [Int32] = [-1, -1]
        var child: pid_t = 0
        let cArguments: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        // Both ends close-on-exec from birth: no other child inherits the pipe (which would
        // hold its end of file back).
        let spawned: Int32 = {
            guard cts_pipe_cloexec(&fds) == 0 else { return errno }
            return spawn(argv[0], cArguments, output: fds[1], child: &child)
        }()
        if fds[1] >= 0 { close(fds[1]) }
        guard fds[0] >= 0 else { return (-1, "pipe failed: errno \(spawned)") }
        defer { close(fds[0]) }
        guard spawned == 0 else { return (-1, "cannot start \(argv[0]): errno \(spawned)") }
        var output = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fds[0], $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            output += chunk[..<count]
        }
        var status: Int32 = 0
        while waitpid(child, &status, 0) < 0 && errno == EINTR {}
        let exitCode = status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        return (exitCode, String(decoding: output, as: UTF8.self))
    }

    /// posix_spawn of `path` with /dev/null as input and `output` as standard output and error.
    private static func spawn(_ path: String, _ arguments: [UnsafeMutablePointer<CChar>?], output: Int32,
                              child: inout pid_t) -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, output, 1)
        posix_spawn_file_actions_adddup2(&actions, output, 2)
        cts_spawn_add_closefrom(&actions, 3)
        return posix_spawn(&child, path, &actions, nil, arguments, environ)
    }
}
