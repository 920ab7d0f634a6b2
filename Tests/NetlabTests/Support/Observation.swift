import EventLoopTesting
import Foundation
import Glibc
import TestSupport

extension ExampleProcess {
    /// Sockets the process has open now (its /proc/PID/fd entries that are sockets; 0 once it
    /// has gone). Other descriptors are left out: the proxy keeps splice pipes in a pool.
    var openSockets: Int {
        let folder = "/proc/\(pid)/fd"
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return entries.count { entry in
            ((try? FileManager.default.destinationOfSymbolicLink(atPath: "\(folder)/\(entry)")) ?? "").hasPrefix("socket:")
        }
    }

    /// Bytes written but not yet acknowledged by the peer (`tx_queue`) on the established IPv4
    /// TCP connections of the process's network namespace (/proc/PID/net/tcp) whose local or
    /// remote port is `port`.
    func unacknowledgedBytes(port: UInt16) -> Int {
        guard let table = try? String(contentsOfFile: "/proc/\(pid)/net/tcp", encoding: .utf8) else { return 0 }
        let hexPort = String(format: "%04X", port)
        return table.split(separator: "\n").dropFirst().reduce(0) { total, line in
            let columns = line.split(separator: " ")
            guard columns.count > 4, columns[3] == "01",
                  columns[1].hasSuffix(":" + hexPort) || columns[2].hasSuffix(":" + hexPort),
                  let queued = Int(columns[4].split(separator: ":")[0], radix: 16) else { return total }
            return total + queued
        }
    }

    /// The `key=value` fields of the last line starting with `prefix` (a bench's `RESULT` line).
    func fields(ofLineStartingWith prefix: String) -> [String: String] {
        guard let line = lines.last(where: { $0.hasPrefix(prefix) }) else { return [:] }
        var fields: [String: String] = [:]
        for field in line.split(separator: " ") {
            let parts = field.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
        }
        return fields
    }
}

/// Seconds since `start`.
func seconds(since start: ContinuousClock.Instant) -> Double {
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

/// Waits (polling, bounded by `within` seconds) until `process` has at most `count` sockets
/// open; returns the seconds it took, or throws with how many it has open.
@discardableResult
func waitForSockets(of process: ExampleProcess, atMost count: Int, within limit: Double) async throws -> Double {
    let start = ContinuousClock.now
    do {
        try await waitUntil(within: limit) { process.openSockets <= count }
    } catch {
        throw ExampleFailure("\(process.name) still has \(process.openSockets) sockets open after \(limit) s (expected at most \(count)):\n\(process.printed)")
    }
    return seconds(since: start)
}

/// Files of test data in a temporary folder of their own, removed by `remove()`.
struct TestFiles {
    let folder: String

    init() throws {
        var template = Array("\(NSTemporaryDirectory())/netlab-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw ExampleFailure("mkdtemp failed: errno \(errno)") }
        folder = String(cString: made)
    }

    /// A file of `megabytes` MiB of random bytes (from /dev/urandom); returns its path.
    func random(megabytes: Int, named name: String = "random.bin") async throws -> String {
        let path = "\(folder)/\(name)"
        let process = try ExampleProcess(path: "/bin/sh", name: "head", arguments: ["-c", "head -c \(megabytes)M /dev/urandom > \(path)"])
        guard try await process.waitForExit(within: 60) == 0 else { throw ExampleFailure("cannot write \(path): \(process.printed)") }
        return path
    }

    /// Writes `text` to the file `name`; returns its path.
    func write(_ text: String, named name: String) throws -> String {
        let path = "\(folder)/\(name)"
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        return path
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: folder)
    }
}

/// The SHA-256 of the file at `path` in hex (by sha256sum).
func sha256(ofFile path: String) async throws -> String {
    let process = try ExampleProcess(path: Tools.find("sha256sum") ?? "/usr/bin/sha256sum", name: "sha256sum", arguments: [path])
    guard try await process.waitForExit(within: 60) == 0, let digest = process.printed.split(separator: " ").first, digest.count == 64 else {
        throw ExampleFailure("sha256sum \(path) failed: \(process.printed)")
    }
    return String(digest)
}
