import EventLoop

/// Runs `body` with a fresh `ReactorGroup` of `reactors` threads (reading the time from
/// `clock`, a ``ManualClock`` for instance, when one is given), bounded by `timeout` seconds, then
/// checks that the group owns no socket and no pooled buffer any more, shuts it down (also on
/// failure) and checks that its threads have ended (``LeakCheck/expectNoLeaks(_:within:)``).
///
/// The body runs with the group's first reactor as its task executor (child tasks inherit it),
/// so CPU-bound work elsewhere in the process cannot starve its timeouts and deadlines.
///
/// Stall detection defaults to a 1 s threshold here, not the library's 50 ms: tests run in
/// parallel, and on a loaded machine the scheduler alone holds a reactor thread off the CPU for
/// tens of milliseconds, which a 50 ms threshold would report as stalls. A reactor blocked for a
/// second is still reported. Pass `stallDetection` to choose another.
///
/// Throws what `body` throws, ``TimeoutError``, or ``LeakError`` when a socket was left open.
@discardableResult
public func withReactorGroup<T: Sendable>(
    reactors: Int = 1, clock: (any ReactorClock)? = nil, timeout seconds: Double = 60,
    stallDetection: StallDetection = StallDetection(threshold: .seconds(1)),
    _ body: @escaping @Sendable (ReactorGroup) async throws -> T
) async throws -> T {
    let group = try ReactorGroup(count: reactors, name: "test", clock: clock, stallDetection: stallDetection)
    let result: T
    do {
        result = try await withTimeout(seconds) {
            try await withTaskExecutorPreference(group.reactors[0]) { try await body(group) }
        }
    } catch {
        await group.shutdown()
        throw error
    }
    try await LeakCheck.expectNoLeaks(group)
    return result
}
