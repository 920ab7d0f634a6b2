import EventLoop

/// What a test expects to find left over; thrown by ``LeakCheck/expectNoSocketsLeft(in:within:)``.
public struct LeakError: Error, CustomStringConvertible {
    /// What leaked and how much.
    public let description: String
}

/// Leak expectations for tests that use the library over loopback.
public enum LeakCheck {
    /// Waits (at most `seconds`, polling every millisecond) until `group` owns no socket, and
    /// throws ``LeakError`` naming the count otherwise. Closes from other threads finish on the
    /// reactor shortly after `close()` returns, hence the bounded wait.
    public static func expectNoSocketsLeft(in group: ReactorGroup, within seconds: Double = 5) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .milliseconds(Int(seconds * 1000)))
        while group.openSocketCount != 0 {
            if clock.now >= deadline {
                throw LeakError(description: "\(group.openSocketCount) socket(s) still open after \(seconds) s")
            }
            try await Task.sleep(for: .milliseconds(1))
        }
    }

    /// Shuts `group` down after checking it owns no socket; throws ``LeakError`` on a leak
    /// (the group is shut down either way).
    public static func shutdownExpectingNoLeaks(_ group: ReactorGroup, within seconds: Double = 5) async throws {
        do {
            try await expectNoSocketsLeft(in: group, within: seconds)
        } catch {
            await group.shutdown()
            throw error
        }
        await group.shutdown()
    }
}
