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
    public static func expectNoSocketsLeft(in group: ReactorGroup, within seconds: Double = 5) async throws {
        try await expect(within: seconds, { group.openSocketCount == 0 }) {
            "\(group.openSocketCount) socket(s) still open after \(seconds) s"
        }
    }

    /// Waits (at most `seconds`) until every pooled chunk of `group` is back; throws otherwise.
    public static func expectNoBuffersOut(in group: ReactorGroup, within seconds: Double = 5) async throws {
        try await expect(within: seconds, { group.bufferPoolStats.inUse == 0 }) {
            "\(group.bufferPoolStats.inUse) pooled buffer chunk(s) still in use after \(seconds) s (\(group.bufferPoolStats))"
        }
    }

    /// Checks sockets and buffers, shuts `group` down, then checks that its reactor threads are
    /// gone. Throws ``LeakError`` on any leak (the group is shut down either way).
    public static func shutdownExpectingNoLeaks(_ group: ReactorGroup, within seconds: Double = 5) async throws {
        do {
            try await expectNoSocketsLeft(in: group, within: seconds)
            try await expectNoBuffersOut(in: group, within: seconds)
        } catch {
            await group.shutdown()
            throw error
        }
        await group.shutdown()
        let running = group.reactors.filter { !$0.isStopped }.map(\.name)
        if !running.isEmpty { throw LeakError("reactor thread(s) still running after shutdown: \(running)") }
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
