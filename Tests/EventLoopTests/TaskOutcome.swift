import EventLoopTesting

/// The outcome of `task`, waited for at most `seconds`: past that, the task is cancelled (so a
/// call that never ends is ended by its cancellation handler) and ``TimeoutError`` is thrown.
/// Awaiting `task.value` inside ``withTimeout(_:_:)`` alone would not end such a task, and the
/// timeout would wait for it forever.
func outcome<T: Sendable>(of task: Task<T, any Error>, within seconds: Double = 10) async throws -> Result<T, any Error> {
    try await withTimeout(seconds) {
        await withTaskCancellationHandler { await task.result } onCancel: { task.cancel() }
    }
}

/// The value of `task`, waited for at most `seconds` as ``outcome(of:within:)`` does; throws
/// what the task threw.
func value<T: Sendable>(of task: Task<T, any Error>, within seconds: Double = 10) async throws -> T {
    try await outcome(of: task, within: seconds).get()
}
