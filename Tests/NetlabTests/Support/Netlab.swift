import Foundation
import Glibc
import Synchronization
import TestSupport

/// Two network namespaces joined by an emulated link (`Scripts/netlab.sh`): the client side
/// (`clientSide`, 10.200.0.1) and the server side (`serverSide`, 10.200.0.2). Programs run
/// inside one with `ip netns exec`. Made by ``withNetlab(_:_:)``, which always removes it.
final class Netlab: Sendable {
    /// The client side's address on the link.
    static let clientAddress = "10.200.0.1"
    /// The server side's address on the link.
    static let serverAddress = "10.200.0.2"
    /// The contract's conditions, each way: delay 20 ms ± 5 ms, loss 1 %, reordering 5 %, 50 Mbit/s.
    static let shaped: [String] = []
    /// The same delay and rate without loss or reordering (for timing a vanishing peer).
    static let lossless = ["--loss-pct", "0", "--reorder-pct", "0"]

    /// The name both namespaces start with (`NAME-a`, `NAME-b`): the prefix, this process's
    /// id and a counter, so parallel runs never collide and a stale one is recognised.
    let name: String
    /// What `netlab.sh up` printed: the namespaces, the link and how it is emulated.
    let description: String

    var clientSide: String { name + "-a" }
    var serverSide: String { name + "-b" }

    static let prefix = "elnl"
    private static let counter = Atomic<Int>(0)

    private init(name: String, description: String) {
        self.name = name
        self.description = description
    }

    /// Runs `Scripts/netlab.sh` with `arguments` to its end (bounded); returns its output, throws
    /// when it fails.
    @discardableResult
    static func script(_ arguments: [String], within seconds: Double = 60) async throws -> String {
        let process = try ExampleProcess(path: Tools.netlabScript, name: "netlab.sh", arguments: arguments)
        let status = try await process.waitForExit(within: seconds)
        guard status == 0 else { throw ExampleFailure("netlab.sh \(arguments.joined(separator: " ")) failed (\(status)):\n\(process.printed)") }
        return process.printed
    }

    /// Creates the namespaces and the link with `conditions` (netlab.sh options; none: the
    /// contract's). Removes stale netlabs of earlier runs first, once per process.
    static func up(_ conditions: [String]) async throws -> Netlab {
        await Tools.removeStale()
        let name = "\(prefix)\(getpid())-\(counter.wrappingAdd(1, ordering: .relaxed).newValue)"
        do {
            let printed = try await script(["up", name] + conditions)
            print(printed.trimmingCharacters(in: .whitespacesAndNewlines))
            return Netlab(name: name, description: printed)
        } catch {
            _ = try? await script(["down", name])
            throw error
        }
    }

    /// Drops every packet on the link (both ways), or stops dropping.
    func blackhole(_ on: Bool) async throws {
        try await Netlab.script(["blackhole", name, on ? "on" : "off"])
    }

    /// Removes the namespaces and the link; prints the emulator's counters.
    func down() async {
        let printed = (try? await Netlab.script(["down", name])) ?? "netlab \(name): removal failed"
        print(printed.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Starts `executable` (an absolute path) with `arguments` inside `namespace`.
    func spawn(in namespace: String, _ executable: String, _ arguments: [String]) throws -> ExampleProcess {
        let name = URL(fileURLWithPath: executable).lastPathComponent
        return try ExampleProcess(path: Tools.ip, name: "\(name)@\(namespace)", arguments: ["netns", "exec", namespace, executable] + arguments)
    }

    /// Starts one of the package's examples (`EchoExample`, `ProxyExample`) inside `namespace`.
    func example(_ name: String, in namespace: String, _ arguments: [String]) throws -> ExampleProcess {
        try spawn(in: namespace, ExampleProcess.executable(name).path, arguments)
    }

    /// Runs a `sh -c` command line inside `namespace`.
    func shell(in namespace: String, _ command: String) throws -> ExampleProcess {
        try spawn(in: namespace, "/bin/sh", ["-c", command])
    }
}

/// Runs `body` with a fresh netlab, and removes it afterwards, also when `body` throws.
func withNetlab<T>(_ conditions: [String] = Netlab.shaped, _ body: (Netlab) async throws -> T) async throws -> T {
    let lab = try await Netlab.up(conditions)
    do {
        let result = try await body(lab)
        await lab.down()
        return result
    } catch {
        await lab.down()
        throw error
    }
}
