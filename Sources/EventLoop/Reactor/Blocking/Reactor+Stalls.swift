/// The reactor's stall watch: the start of the callback being timed and the report rate limit.
/// Reactor thread only.
struct StallWatch {
    /// Stall threshold in nanoseconds; 0 when detection is off.
    let thresholdNanoseconds: UInt64
    /// The least time between two reports, in nanoseconds.
    let reportIntervalNanoseconds: UInt64
    /// Coarse monotonic time at which the callback being timed started.
    var sliceStart: UInt64 = 0
    /// Coarse monotonic time of the last report; nil before the first.
    var lastReport: UInt64?
    /// Stalls not reported since the last report.
    var suppressed = 0

    init(_ detection: StallDetection) {
        thresholdNanoseconds = detection.threshold > .zero ? detection.threshold.positiveNanoseconds : 0
        reportIntervalNanoseconds = detection.minimumReportInterval.positiveNanoseconds
    }
}

extension Reactor {
    /// Starts timing at the beginning of a run of callbacks (after epoll_wait returns, when
    /// the loop or its shutdown starts). One coarse clock read; none when detection is off.
    @inline(__always)
    func beginSlices() {
        guard stallWatch.thresholdNanoseconds != 0 else { return }
        stallWatch.sliceStart = Syscall.coarseMonotonicNanoseconds()
    }

    /// Ends the timing of the callback that just returned, which starts the next one's: one
    /// coarse clock read per callback, and a comparison; none when detection is off.
    @inline(__always)
    func endSlice() {
        guard stallWatch.thresholdNanoseconds != 0 else { return }
        let now = Syscall.coarseMonotonicNanoseconds()
        let elapsed = now &- stallWatch.sliceStart
        stallWatch.sliceStart = now
        if elapsed >= stallWatch.thresholdNanoseconds, elapsed < UInt64(Int64.max) {
            noteStall(nanoseconds: elapsed, at: now)
        }
    }

    /// Counts a stall and reports it unless a report went out less than the interval ago.
    @inline(never)
    private func noteStall(nanoseconds: UInt64, at now: UInt64) {
        let total = counters.stalls.load(ordering: .relaxed) &+ 1
        counters.stalls.store(total, ordering: .relaxed)
        if let last = stallWatch.lastReport, now &- last < stallWatch.reportIntervalNanoseconds {
            stallWatch.suppressed += 1
            return
        }
        let report = StallReport(reactor: name, duration: .nanoseconds(Int64(nanoseconds)),
                                 threshold: .nanoseconds(Int64(stallWatch.thresholdNanoseconds)),
                                 suppressed: stallWatch.suppressed, total: total)
        stallWatch.lastReport = now
        stallWatch.suppressed = 0
        stallDetection.report(report)
        // The report's own time (a write to stderr) is not charged to the next callback.
        stallWatch.sliceStart = Syscall.coarseMonotonicNanoseconds()
    }
}
