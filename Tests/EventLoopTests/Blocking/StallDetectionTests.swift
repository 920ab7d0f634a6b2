@testable import EventLoop
import EventLoopTesting
import Synchronization
import Testing

/// Busy-waits (holds the calling thread) for `milliseconds`.
func holdThread(milliseconds: UInt64) {
    let end = Syscall.monotonicNanoseconds() + milliseconds * 1_000_000
    while Syscall.monotonicNanoseconds() < end {}
}

/// Collects the stall reports of a group.
final class StallReports: Sendable {
    private let reports = Mutex<[StallReport]>([])
    var all: [StallReport] { reports.withLock { $0 } }
    func detection(threshold: Duration, interval: Duration = .seconds(1)) -> StallDetection {
        StallDetection(threshold: threshold, minimumReportInterval: interval) { report in
            self.reports.withLock { $0.append(report) }
        }
    }
}

/// A callback that holds its reactor past the threshold is counted and reported, with the
/// reactor's name and its duration, at most once per second per reactor.
@Suite struct StallDetectionTests {
    @Test func aBlockingCallbackIsReportedWithTheReactorNameAndCounted() async throws {
        let reports = StallReports()
        // One report an hour at most: whatever the machine's load, the second stall is suppressed.
        let group = try ReactorGroup(count: 1, name: "stall",
                                     stallDetection: reports.detection(threshold: .milliseconds(50), interval: .seconds(3600)))
        let reactor = group.reactors[0]
        try await withTimeout(30) {
            // A closure and a task slice, each holding the thread for 120 ms, back to back.
            try await reactor.submit { holdThread(milliseconds: 120) }
            await Task(executorPreference: reactor) { holdThread(milliseconds: 120) }.value
            // Runs after the loop has timed (and reported) the callbacks before it.
            try await reactor.submit {}
        }
        let stalls = reactor.statistics.stalls
        let all = reports.all
        #expect(stalls >= 2, "both blocking callbacks are counted")
        #expect(all.count == 1, "one report; the stalls after it within the interval are counted, not reported")
        for report in all {
            #expect(report.reactor == "stall-0")
            #expect(report.duration >= .milliseconds(50))
            #expect(report.threshold == .milliseconds(50))
            #expect(report.description.hasPrefix("warning: reactor stall-0 stalled for "))
        }
        try await LeakCheck.expectNoLeaks(group)
    }

    @Test func aZeroThresholdReportsNothing() async throws {
        let reports = StallReports()
        let group = try ReactorGroup(count: 1, name: "nostall", stallDetection: reports.detection(threshold: .zero))
        let reactor = group.reactors[0]
        try await withTimeout(30) {
            try await reactor.submit { holdThread(milliseconds: 120) }
            try await reactor.submit {}
        }
        #expect(reports.all.isEmpty)
        #expect(reactor.statistics.stalls == 0)
        try await LeakCheck.expectNoLeaks(group)
    }

    @Test func theWarningLineNamesTheReactorTheDurationAndTheSuppressedCount() {
        let report = StallReport(reactor: "reactor-3", duration: .milliseconds(121), threshold: .milliseconds(50),
                                 suppressed: 2, total: 5)
        #expect(report.description == "warning: reactor reactor-3 stalled for 121 ms (threshold 50 ms): a callback blocked its thread; 2 more stalls since the last warning (total 5); move blocking work to offload { }")
        let first = StallReport(reactor: "reactor-0", duration: .milliseconds(80), threshold: .milliseconds(50), suppressed: 0, total: 1)
        #expect(first.description == "warning: reactor reactor-0 stalled for 80 ms (threshold 50 ms): a callback blocked its thread; move blocking work to offload { }")
    }
}
