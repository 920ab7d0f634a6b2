import EventLoop
import Synchronization

/// The messages one load connection has in flight, shared by its writer and reader tasks: the
/// writer may send while fewer than `depth` are outstanding and notes when it sent them; the
/// reader completes them in order and gets their send times back.
final class PipelineWindow: Sendable {
    /// Messages in flight at most (`-p`).
    let depth: Int
    private let state: Locked<State>

    private struct State {
        var sent = 0
        var completed = 0
        /// Send time (monotonic ns) of message `k` at `k % depth`.
        var sentAt: [UInt64]
        var stopped = false
        var writerFinished = false
        var waiter: CheckedContinuation<Int, Never>?
    }

    /// A window of `depth` messages.
    init(depth: Int) {
        precondition(depth >= 1)
        self.depth = depth
        state = Locked(State(sentAt: Array(repeating: 0, count: depth)))
    }

    /// Waits until a message may be sent and returns how many may (0 once stopped).
    func acquire() async -> Int {
        let (stopped, free) = state.withLock { ($0.stopped, Self.free(in: $0, depth: depth)) }
        if stopped { return 0 }
        if free > 0 { return free }
        return await withCheckedContinuation { (continuation: CheckedContinuation<Int, Never>) in
            let ready = state.withLock { state -> Int? in
                if state.stopped { return 0 }
                let free = Self.free(in: state, depth: depth)
                if free > 0 { return free }
                state.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// `count` messages are being sent now (`at`, monotonic ns).
    func noteSent(_ count: Int, at time: UInt64) {
        state.withLock { state in
            for index in state.sent..<(state.sent + count) { state.sentAt[index % depth] = time }
            state.sent += count
        }
    }

    /// The next `count` messages came back: appends their send times to `sentAt` and frees
    /// their places. False (nothing changed) when fewer than `count` were in flight.
    func complete(_ count: Int, sentAt: inout [UInt64]) -> Bool {
        let (accepted, waiter, free) = state.withLock { state -> (Bool, CheckedContinuation<Int, Never>?, Int) in
            guard state.completed + count <= state.sent else { return (false, nil, 0) }
            for index in state.completed..<(state.completed + count) { sentAt.append(state.sentAt[index % depth]) }
            state.completed += count
            defer { state.waiter = nil }
            return (true, state.waiter, Self.free(in: state, depth: depth))
        }
        waiter?.resume(returning: free)
        return accepted
    }

    /// The writer sent its last message.
    func finishWriting() { state.withLock { $0.writerFinished = true } }

    /// True when the writer has finished and every message it sent came back.
    var isComplete: Bool { state.withLock { $0.writerFinished && $0.completed == $0.sent } }

    /// Messages sent so far.
    var sent: Int { state.withLock { $0.sent } }

    /// Ends the writer: a waiting or later ``acquire()`` returns 0.
    func stop() {
        let waiter = state.withLock { state -> CheckedContinuation<Int, Never>? in
            state.stopped = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: 0)
    }

    private static func free(in state: State, depth: Int) -> Int {
        depth - (state.sent - state.completed)
    }
}
