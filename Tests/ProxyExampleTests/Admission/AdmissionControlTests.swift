import EventLoop
import EventLoopTesting
import Synchronization
import Testing
@testable import ProxyExample

/// A clock the test moves by hand (monotonic nanoseconds).
final class ManualNanoseconds: Sendable {
    private let value = Atomic<UInt64>(1_000_000_000)
    var now: UInt64 { value.load(ordering: .relaxed) }
    func advance(seconds: Double) { value.add(UInt64(seconds * 1e9), ordering: .relaxed) }
}

@Suite struct AdmissionControlTests {
    func ip(_ text: String) throws -> SocketAddress { try SocketAddress(text) }

    func control(_ limits: AdmissionLimits, clock: ManualNanoseconds = ManualNanoseconds(), capacity: Int = 100_000,
                 log: CapturedLog = CapturedLog()) -> AdmissionControl {
        var limits = limits
        limits.ipTableSize = capacity
        return AdmissionControl(limits: limits, logger: log.logger, clock: { clock.now })
    }

    func refusal(_ result: Result<AdmissionControl.Ticket, RefusalReason>) -> RefusalReason? {
        if case .failure(let reason) = result { return reason }
        return nil
    }

    func ticket(_ result: Result<AdmissionControl.Ticket, RefusalReason>) throws -> AdmissionControl.Ticket {
        try result.get()
    }

    @Test func noLimitsAdmitsEveryone() throws {
        let admission = control(AdmissionLimits())
        let tickets = try (0..<100).map { _ in try ticket(admission.admit(try ip("10.0.0.1:1"))) }
        #expect(admission.activeCount == 100)
        #expect(admission.trackedClientCount == 0)
        tickets.forEach(admission.release)
        #expect(admission.activeCount == 0)
    }

    @Test func denyWinsOverAllow() throws {
        var limits = AdmissionLimits()
        limits.allow = [try CIDR("10.0.0.0/8")]
        limits.deny = [try CIDR("10.6.0.0/16")]
        let admission = control(limits)
        #expect(refusal(admission.admit(try ip("10.6.1.1:1"))) == .denied)
        #expect(refusal(admission.admit(try ip("[::ffff:10.6.1.1]:1"))) == .denied)
        #expect(refusal(admission.admit(try ip("192.168.0.1:1"))) == .denied)
        #expect(refusal(admission.admit(try SocketAddress.unix(path: "/tmp/c"))) == .denied)
        #expect(refusal(admission.admit(nil)) == .denied)
        _ = try ticket(admission.admit(try ip("10.7.1.1:1")))
        _ = try ticket(admission.admit(try ip("[::ffff:10.7.1.1]:1")))
        #expect(admission.activeCount == 2)
    }

    @Test func denyListAloneLetsOthersIn() throws {
        var limits = AdmissionLimits()
        limits.deny = [try CIDR("::1")]
        let admission = control(limits)
        #expect(refusal(admission.admit(.loopbackIPv6(port: 4))) == .denied)
        _ = try ticket(admission.admit(.loopbackIPv4(port: 4)))
        _ = try ticket(admission.admit(try SocketAddress.unix(path: "/tmp/c")))
    }

    @Test func globalLimit() throws {
        var limits = AdmissionLimits()
        limits.maxConns = 2
        let admission = control(limits)
        let first = try ticket(admission.admit(try ip("1.1.1.1:1")))
        _ = try ticket(admission.admit(try ip("2.2.2.2:1")))
        #expect(refusal(admission.admit(try ip("3.3.3.3:1"))) == .maxConns)
        admission.release(first)
        _ = try ticket(admission.admit(try ip("3.3.3.3:1")))
        #expect(admission.activeCount == 2)
    }

    /// A reload's new limits keep every count: the open clients still count toward the global
    /// and per-address limits, are released as before, and the lists apply at once.
    @Test func newLimitsKeepTheCounts() throws {
        var limits = AdmissionLimits()
        limits.maxConns = 5
        limits.maxConnsPerIP = 2
        let admission = control(limits)
        let first = try ticket(admission.admit(try ip("1.1.1.1:1")))
        _ = try ticket(admission.admit(try ip("1.1.1.1:2")))
        _ = try ticket(admission.admit(try ip("2.2.2.2:1")))
        limits.maxConns = 3
        limits.maxConnsPerIP = 3
        admission.update(limits)
        #expect(admission.limits.maxConns == 3)
        #expect(refusal(admission.admit(try ip("3.3.3.3:1"))) == .maxConns)
        admission.release(first)
        _ = try ticket(admission.admit(try ip("1.1.1.1:3")))
        #expect(admission.activeCount == 3)
        limits.maxConns = nil
        limits.maxConnsPerIP = 2
        admission.update(limits)
        // 1.1.1.1 has two open (one from before each update): a third is refused.
        #expect(refusal(admission.admit(try ip("1.1.1.1:4"))) == .maxConnsPerIP)
        limits.deny = [try CIDR("2.2.2.0/24")]
        admission.update(limits)
        #expect(refusal(admission.admit(try ip("2.2.2.2:2"))) == .denied)
    }

    @Test func perAddressLimitCountsMappedAddressesOnce() throws {
        var limits = AdmissionLimits()
        limits.maxConnsPerIP = 2
        let admission = control(limits)
        let first = try ticket(admission.admit(try ip("1.1.1.1:1")))
        _ = try ticket(admission.admit(try ip("[::ffff:1.1.1.1]:2")))
        #expect(refusal(admission.admit(try ip("1.1.1.1:3"))) == .maxConnsPerIP)
        _ = try ticket(admission.admit(try ip("1.1.1.2:1")))
        admission.release(first)
        _ = try ticket(admission.admit(try ip("1.1.1.1:4")))
        #expect(admission.activeCount == 3)
    }

    @Test func releaseIsIdempotentPerTicket() throws {
        var limits = AdmissionLimits()
        limits.maxConnsPerIP = 1
        let admission = control(limits)
        let first = try ticket(admission.admit(try ip("1.1.1.1:1")))
        let second = try ticket(admission.admit(try ip("1.1.1.2:1")))
        admission.release(first)
        admission.release(first)
        #expect(admission.activeCount == 1)
        #expect(admission.trackedClientCount == 1)
        admission.release(second)
        #expect(admission.activeCount == 0)
        #expect(admission.trackedClientCount == 0)
    }

    @Test func rateRefillsWithTheClock() throws {
        let clock = ManualNanoseconds()
        var limits = AdmissionLimits()
        limits.ratePerIP = 2
        let admission = control(limits, clock: clock)
        let client = try ip("5.5.5.5:1")
        for _ in 0..<2 { admission.release(try ticket(admission.admit(client))) }
        #expect(refusal(admission.admit(client)) == .rate)
        // Another address has its own bucket.
        admission.release(try ticket(admission.admit(try ip("5.5.5.6:1"))))
        clock.advance(seconds: 0.25)
        #expect(refusal(admission.admit(client)) == .rate)
        clock.advance(seconds: 0.25)
        admission.release(try ticket(admission.admit(client)))
        #expect(refusal(admission.admit(client)) == .rate)
        // A long pause refills only up to the burst.
        clock.advance(seconds: 100)
        for _ in 0..<2 { admission.release(try ticket(admission.admit(client))) }
        #expect(refusal(admission.admit(client)) == .rate)
    }

    @Test func slowRateHasABurstOfOne() throws {
        let clock = ManualNanoseconds()
        var limits = AdmissionLimits()
        limits.ratePerIP = 0.5
        let admission = control(limits, clock: clock)
        let client = try ip("5.5.5.5:1")
        admission.release(try ticket(admission.admit(client)))
        #expect(refusal(admission.admit(client)) == .rate)
        clock.advance(seconds: 1.9)
        #expect(refusal(admission.admit(client)) == .rate)
        clock.advance(seconds: 0.2)
        admission.release(try ticket(admission.admit(client)))
    }

    @Test func checksRunInOrderAndRefusalsTakeNothing() throws {
        var limits = AdmissionLimits()
        limits.maxConns = 1
        limits.maxConnsPerIP = 1
        limits.ratePerIP = 1
        limits.deny = [try CIDR("9.9.9.9")]
        let admission = control(limits)
        #expect(refusal(admission.admit(try ip("9.9.9.9:1"))) == .denied)
        let held = try ticket(admission.admit(try ip("1.1.1.1:1")))
        #expect(refusal(admission.admit(try ip("1.1.1.1:1"))) == .maxConns)
        #expect(refusal(admission.admit(try ip("2.2.2.2:1"))) == .maxConns)
        admission.release(held)
        // 2.2.2.2 took no token while refused by max-conns.
        _ = try ticket(admission.admit(try ip("2.2.2.2:1")))
        #expect(admission.activeCount == 1)
    }

    /// Idle addresses (no open connection) make room for new ones, least recently used first,
    /// so one-shot clients never lock the table; the count stays within its size.
    @Test func tableStaysBoundedAndEvictsIdleAddresses() throws {
        let clock = ManualNanoseconds()
        var limits = AdmissionLimits()
        limits.ratePerIP = 10
        let admission = control(limits, clock: clock, capacity: 3000)
        // Many one-shot clients: each keeps an entry (its bucket is refilling) until evicted.
        for index in 0..<3000 {
            admission.release(try ticket(admission.admit(.ipv4(10, 0, UInt8(index >> 8), UInt8(index & 0xff), port: 1))))
        }
        #expect(admission.trackedClientCount == 3000)
        admission.release(try ticket(admission.admit(.ipv4(11, 0, 0, 1, port: 1))))
        #expect(admission.trackedClientCount == 3000)
        // The oldest idle address (10.0.0.0) was forgotten: it has a full burst again.
        for _ in 0..<10 { _ = try ticket(admission.admit(.ipv4(10, 0, 0, 0, port: 1))) }
        // A recent one was not: 10.0.11.183 (the last one) is still refilling, so a burst of
        // 10 more is refused by its rate.
        var refused = 0
        for _ in 0..<10 where refusal(admission.admit(.ipv4(10, 0, 11, 183, port: 1))) == .rate { refused += 1 }
        #expect(refused >= 1)
        #expect(admission.activeCount == 20 - refused)
    }

    /// Rotating addresses inside one /64 does not get around the per-IP limits.
    @Test func ipv6ClientsCountPerSlash64() throws {
        var limits = AdmissionLimits()
        limits.maxConnsPerIP = 2
        let admission = control(limits)
        _ = try ticket(admission.admit(try ip("[fd00:9::1]:1000")))
        _ = try ticket(admission.admit(try ip("[fd00:9::2]:1000")))
        #expect(refusal(admission.admit(try ip("[fd00:9::3]:1000"))) == .maxConnsPerIP)
        #expect(refusal(admission.admit(try ip("[fd00:9::ffff:1]:1000"))) == .maxConnsPerIP)
        // Another /64 is another client.
        _ = try ticket(admission.admit(try ip("[fd00:9:0:1::3]:1000")))
        #expect(admission.activeCount == 3)
        #expect(admission.trackedClientCount == 2)
    }

    @Test func ipv6RateCountsPerSlash64() throws {
        var limits = AdmissionLimits()
        limits.ratePerIP = 2
        let admission = control(limits)
        admission.release(try ticket(admission.admit(try ip("[fd00:9::1]:1"))))
        admission.release(try ticket(admission.admit(try ip("[fd00:9::2]:1"))))
        #expect(refusal(admission.admit(try ip("[fd00:9::3]:1"))) == .rate)
    }

    /// `--ipv6-prefix-len` chooses the unit; the allow and deny lists still see whole addresses.
    @Test func prefixLengthIsConfigurable() throws {
        var limits = AdmissionLimits()
        limits.maxConnsPerIP = 2
        limits.ipv6PrefixLength = 128
        limits.deny = [try CIDR("fd00:9::4")]
        let exact = control(limits)
        for host in 1...3 { _ = try ticket(exact.admit(try ip("[fd00:9::\(host)]:1"))) }
        #expect(refusal(exact.admit(try ip("[fd00:9::4]:1"))) == .denied)
        limits.ipv6PrefixLength = 48
        let site = control(limits)
        _ = try ticket(site.admit(try ip("[fd00:9:0:1::1]:1")))
        _ = try ticket(site.admit(try ip("[fd00:9:0:2::1]:1")))
        #expect(refusal(site.admit(try ip("[fd00:9:0:3::1]:1"))) == .maxConnsPerIP)
    }

    /// A table full of live addresses refuses new ones and says so in the log at most once a
    /// minute (with how many were refused meanwhile), by the injected clock.
    @Test func tableFullIsLoggedAtMostOncePerMinute() throws {
        let clock = ManualNanoseconds()
        let log = CapturedLog()
        var limits = AdmissionLimits()
        limits.maxConnsPerIP = 1
        let admission = control(limits, clock: clock, capacity: 1, log: log)
        _ = try ticket(admission.admit(try ip("1.0.0.1:1")))
        #expect(refusal(admission.admit(try ip("1.0.0.2:1"))) == .clientTableFull)
        #expect(log.warnings.count == 1)
        for _ in 0..<5 {
            clock.advance(seconds: 10)
            #expect(refusal(admission.admit(try ip("1.0.0.3:1"))) == .clientTableFull)
        }
        clock.advance(seconds: 9.9)
        #expect(refusal(admission.admit(try ip("1.0.0.3:1"))) == .clientTableFull)
        #expect(log.warnings.count == 1)
        clock.advance(seconds: 0.1)
        #expect(refusal(admission.admit(try ip("1.0.0.4:1"))) == .clientTableFull)
        #expect(log.warnings.count == 2)
        #expect(log.warnings[0].contains("table is full"), "\(log.warnings)")
        #expect(log.warnings[1].contains("7 new addresses refused"), "\(log.warnings)")
        // Other refusals are not logged here.
        #expect(refusal(admission.admit(try ip("1.0.0.1:1"))) == .maxConnsPerIP)
        #expect(log.warnings.count == 2)
    }

    @Test func tableIsFullOfLiveConnectionsThenRecovers() throws {
        var limits = AdmissionLimits()
        limits.maxConnsPerIP = 5
        let admission = control(limits, capacity: 2)
        let a = try ticket(admission.admit(try ip("1.0.0.1:1")))
        let b = try ticket(admission.admit(try ip("1.0.0.2:1")))
        #expect(refusal(admission.admit(try ip("1.0.0.3:1"))) == .clientTableFull)
        admission.release(a)
        _ = try ticket(admission.admit(try ip("1.0.0.3:1")))
        admission.release(b)
        #expect(admission.trackedClientCount == 1)
    }

    @Test func concurrentAdmitsAndReleasesBalance() async throws {
        var limits = AdmissionLimits()
        limits.maxConnsPerIP = 1_000_000
        limits.maxConns = 1_000_000
        let admission = AdmissionControl(limits: limits)
        try await withTimeout(20) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<8 {
                    group.addTask {
                        for index in 0..<2000 {
                            let address = SocketAddress.ipv4(10, UInt8(worker), UInt8(index % 7), 1, port: 1)
                            let ticket = try admission.admit(address).get()
                            admission.release(ticket)
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        #expect(admission.activeCount == 0)
        #expect(admission.trackedClientCount == 0)
    }
}
