/// One running ``TCPConn/copy(to:splice:)`` or ``TCPConn/relay(with:options:)``: its pumps,
/// the idle timer, and the task waiting for the end. Reactor thread only.
// @unchecked Sendable: every member is touched on `reactor`'s thread only; the one use from
// another thread (a cancellation) hops there with `reactor.execute` first.
final class RelaySession: @unchecked Sendable {
    private let reactor: Reactor
    private let passResetOn: Bool
    private var pumps: [CopyPump] = []
    private var results: [CopyResult?] = []
    private var remaining = 0
    private var waiter: UnsafeContinuation<[CopyResult], any Error>?
    private var idleNanoseconds: UInt64 = 0
    private var idleTimer: TimerHandle?
    /// A two-way relay with half-close: the connections are closed here once both streams ended.
    private var closesOnCleanEnd = false

    /// True while the one direction still running reaches end of stream after the other one
    /// ended the same way: the relay is over and closes both connections.
    private var lastDirectionEndsCleanly: Bool {
        remaining == 1 && results.allSatisfy { $0 == nil || $0?.end == .endOfStream }
    }

    init(reactor: Reactor, passResetOn: Bool) {
        self.reactor = reactor
        self.passResetOn = passResetOn
    }

    /// Starts the pumps (inside ``run(_:)``). Throws ``NetError`` when a side is busy or no
    /// pipe can be had; pumps already started are stopped again.
    func start(_ directions: [(TCPConn, TCPConn)], splice: SpliceMode, idleTimeout: Duration?, halfClose: Bool) throws {
        results = Array(repeating: nil, count: directions.count)
        remaining = directions.count
        pumps = directions.enumerated().map { index, direction in
            CopyPump(from: direction.0, to: direction.1, splice: splice, halfCloseAtEnd: halfClose) { [unowned self] result in
                self.finished(index, result)
            }
        }
        if halfClose && directions.count == 2 {
            closesOnCleanEnd = true
            for pump in pumps { pump.endsRelay = { [unowned self] in self.lastDirectionEndsCleanly } }
        }
        if let idleTimeout {
            idleNanoseconds = UInt64(max(1, idleTimeout.nanosecondsSaturated))
            armIdleTimer()
        }
        for pump in pumps {
            do {
                try pump.start()
            } catch {
                stopAll(.closed)
                cancelIdleTimer()
                throw error
            }
        }
    }

    /// Starts the copies with `start` and suspends until every direction has ended; a
    /// cancellation of the calling task stops them (`.cancelled`). Reactor thread only.
    func run(_ start: (RelaySession) throws -> Void) async throws -> [CopyResult] {
        try Task.checkCancellation()
        return try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<[CopyResult], any Error>) in
                do {
                    try start(self)
                } catch {
                    return continuation.resume(throwing: error)
                }
                if remaining == 0 { return continuation.resume(returning: results.map { $0! }) }
                waiter = continuation
            }
        } onCancel: {
            reactor.execute { self.stopAll(.cancelled) }
        }
    }

    private func stopAll(_ end: CopyEnd) {
        for pump in pumps { pump.stop(end) }
    }

    private func finished(_ index: Int, _ result: CopyResult) {
        results[index] = result
        remaining -= 1
        let pump = pumps[index]
        switch result.end {
        case .readFailed:
            // The source reset or failed: pass it on to the destination, close the source.
            endPair(failed: pump.source, other: pump.destination)
        case .writeFailed:
            endPair(failed: pump.destination, other: pump.source)
        case .timedOut, .cancelled, .endOfStream, .closed:
            break
        }
        if remaining == 0 {
            if closesOnCleanEnd && results.allSatisfy({ $0?.end == .endOfStream }) {
                // Both streams ended: close now (the last end of stream was not passed on as a
                // half-close; the close sends that FIN). Both receive queues are drained, so
                // the close is orderly, never a reset.
                for pump in pumps { pump.source.socket.close() }
            }
            cancelIdleTimer()
            waiter.take()?.resume(returning: results.map { $0! })
        }
    }

    private func endPair(failed: TCPConn, other: TCPConn) {
        if passResetOn { other.socket.abort() } else { other.socket.close() }
        failed.socket.close()
    }

    // MARK: idle timeout

    private func armIdleTimer() {
        let deadline = lastActivity &+ idleNanoseconds
        idleTimer = reactor.scheduleTimer(atNanoseconds: deadline, .closure { [weak self] in self?.idleTimerFired() })
    }

    private var lastActivity: UInt64 {
        pumps.reduce(0) { max($0, $1.source.socket.lastActivity, $1.destination.socket.lastActivity) }
    }

    private func idleTimerFired() {
        idleTimer = nil
        guard remaining > 0 else { return }
        if lastActivity &+ idleNanoseconds <= reactor.loopTime {
            stopAll(.timedOut)
        } else {
            armIdleTimer()
        }
    }

    private func cancelIdleTimer() {
        guard let timer = idleTimer else { return }
        reactor.cancelTimer(timer)
        idleTimer = nil
    }
}
