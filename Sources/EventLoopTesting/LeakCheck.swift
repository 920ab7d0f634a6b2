import EventLoop

/// What a test found left over; thrown by the ``LeakCheck`` expectations.
public struct LeakError: Error, CustomStringConvertible {
    /// What leaked and how much.
    public let description: String

    /// A leak described by `description`.
    public init(_ description: String) { self.description = description }
}

/// Leak expectations for tests that use the library over loopback: sockets the library owns,
/// pooled buffer chunks still out, reactor threads still running. Every expectation waits a
/// bounded time, because closes requested from other threads finish on the reactor shortly
/// after `close()` returns.
public enum LeakCheck {
    /// Waits (at most `seconds`) until `group` owns no socket; throws ``LeakError`` otherwise.
    public static func expectNoSocketsLeft(in group: ReactorGroup, within seconds: Double = 30) async throws {
        try await expect(within: seconds, { group.openSocketCount == 0 }) {
            "\(group.openSocketCount) socket(s) still open after \(seconds) s"
        }
    }

    /// Waits (at most `seconds`) until every pooled chunk of `group` is back; throws otherwise.
    public static func expectNoBuffersOut(in group: ReactorGroup, within seconds: Double = 30) async throws {
        try await expect(within: seconds, { group.bufferPoolStats.inUse == 0 }) {
            "\(group.bufferPoolStats.inUse) pooled buffer chunk(s) still in use after \(seconds) s (\(group.bufferPoolStats))"
        }
    }

    /// The whole leak expectation in one call: waits (at most `seconds`) until `group` owns no
    /// socket and has no pooled buffer chunk out, shuts it down, and checks that every one of
    /// its reactor threads has ended. Throws one ``LeakError`` naming everything that was left
    /// (sockets, chunks, threads); the group is shut down either way.
    public static func expectNoLeaks(_ group: ReactorGroup, within seconds: Double = 30) async throws {
        var leaks: [String] = []
        do {
            try await expectNoSocketsLeft(in: group, within: seconds)
        } catch let error as LeakError {
            leaks.append(error.description)
        }
        do {
            try await expectNoBuffersOut(in: group, within: seconds)
        } catch let error as LeakError {
            leaks.append(error.description)
        }
        await group.shutdown()
        let running = group.reactors.filter { !$0.isStopped }.map(\.name)
        if !running.isEmpty { leaks.append("reactor thread(s) still running after shutdown: \(running)") }
        if !leaks.isEmpty { throw LeakError(leaks.joined(separator: "; ")) }
    }

    /// The same as ``expectNoLeaks(_:within:)``.
    public static func shutdownExpectingNoLeaks(_ group: ReactorGroup, within seconds: Double = 30) async throws {
        try await expectNoLeaks(group, within: seconds)
    }

    private static func expect(within seconds: Double, _ condition: () -> Bool, _ message: () -> String) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .milliseconds(Int(seconds * 1000)))
        while !condition() {
            if clock.now >= deadline { throw LeakError(message()) }
            try await Task.sleep(for: .milliseconds(1))
        }
    }
}
