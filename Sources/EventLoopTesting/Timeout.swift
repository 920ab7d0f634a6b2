/// Thrown by ``withTimeout(_:_:)`` when the body did not finish in time.
public struct TimeoutError: Error, CustomStringConvertible {
    /// The limit that passed, in seconds.
    public let seconds: Double
    /// `timed out after N s`.
    public var description: String { "timed out after \(seconds) s" }
}

/// Runs `body`, cancelling it and throwing ``TimeoutError`` if it has not finished after
/// `seconds`. Every library call that waits honours cancellation, so a stuck test ends.
public func withTimeout<T: Sendable>(_ seconds: Double, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else {
            throw TimeoutError(seconds: seconds)
        }
        return value
    }
}

/// Polls `condition` every millisecond until it holds, throwing ``TimeoutError`` after `seconds`.
/// For state that changes on another thread with no event to await (a counter, a flag).
public func waitUntil(within seconds: Double = 30, _ condition: @Sendable () async throws -> Bool) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: .milliseconds(Int(seconds * 1000)))
    while try await !condition() {
        if clock.now >= deadline { throw TimeoutError(seconds: seconds) }
        try await Task.sleep(for: .milliseconds(1))
    }
}
