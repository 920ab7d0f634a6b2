import EventLoop

/// Runs `body` with a fresh ``ReactorGroup`` of `reactors` threads, bounded by `seconds`, then
/// checks that the group owns no socket and no pooled buffer any more and shuts it down (also
/// on failure).
///
/// The body runs with the group's first reactor as its task executor (child tasks inherit it),
/// so CPU-bound work elsewhere in the process cannot starve its timeouts and deadlines.
///
/// Throws what `body` throws, ``TimeoutError``, or ``LeakError`` when a socket was left open.
@discardableResult
public func withReactorGroup<T: Sendable>(
    reactors: Int = 1, timeout seconds: Double = 30,
    _ body: @escaping @Sendable (ReactorGroup) async throws -> T
) async throws -> T {
    let group = try ReactorGroup(count: reactors, name: "test")
    let result: T
    do {
        result = try await withTimeout(seconds) {
            try await withTaskExecutorPreference(group.reactors[0]) { try await body(group) }
        }
    } catch {
        await group.shutdown()
        throw error
    }
    try await LeakCheck.shutdownExpectingNoLeaks(group)
    return result
}
