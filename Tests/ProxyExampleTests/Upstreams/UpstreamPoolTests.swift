import EventLoop
import Logging
import Testing
@testable import ProxyExample

/// Balancing and passive health of the upstream pool, with an explicit clock.
@Suite struct UpstreamPoolTests {
    static func pool(_ count: Int, policy: BalancePolicy) -> UpstreamPool {
        let upstreams = (0..<count).map { index in
            (label: "127.0.0.1:\(1000 + index)", addresses: [SocketAddress.loopbackIPv4(port: UInt16(1000 + index))])
        }
        return UpstreamPool(upstreams, policy: policy, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() },
                            metrics: ProxyMetrics(upstreams: upstreams.map(\.label)))
    }

    struct Refused: Error {}

    @Test func roundRobinTakesTurns() throws {
        let pool = Self.pool(3, policy: .roundRobin)
        var seen: [Int] = []
        for _ in 0..<6 {
            let pick = try #require(pool.pick(excluding: [], now: 0))
            seen.append(pick.index)
            pool.released(pick)
        }
        #expect(Set(seen) == [0, 1, 2])
        #expect(seen[0] != seen[1] && seen[1] != seen[2])
        #expect(Array(seen[0..<3]) == Array(seen[3..<6]))
    }

    @Test func leastConnPicksTheLeastBusy() throws {
        let pool = Self.pool(3, policy: .leastConn)
        let first = try #require(pool.pick(excluding: [], now: 0))
        let second = try #require(pool.pick(excluding: [], now: 0))
        let third = try #require(pool.pick(excluding: [], now: 0))
        #expect(Set([first.index, second.index, third.index]) == [0, 1, 2])
        pool.released(second)
        #expect(try #require(pool.pick(excluding: [], now: 0)).index == second.index)
    }

    @Test func aFailedUpstreamIsSkippedThenProbedOnceItsBackoffEnds() throws {
        let pool = Self.pool(2, policy: .roundRobin)
        let failing = try #require(pool.pick(excluding: [], now: 0))
        pool.failed(failing, error: Refused(), now: 0)
        // During the 1 s back-off every pick goes to the other upstream.
        for _ in 0..<4 {
            let pick = try #require(pool.pick(excluding: [], now: 500_000_000))
            #expect(pick.index != failing.index)
            pool.released(pick)
        }
        // Excluding the healthy one: nothing to try while the other is backing off.
        #expect(pool.pick(excluding: [1 - failing.index], now: 500_000_000) == nil)
        // After the back-off, one probe at a time.
        let probe = try #require(pool.pick(excluding: [1 - failing.index], now: 1_500_000_000))
        #expect(probe.index == failing.index)
        #expect(pool.pick(excluding: [1 - failing.index], now: 1_500_000_000) == nil)
        pool.connected(probe)
        #expect(pool.pick(excluding: [1 - failing.index], now: 1_500_000_000)?.index == failing.index)
    }

    @Test func backoffDoublesUpToThirtySeconds() {
        #expect(UpstreamState.backoff(afterFailures: 1) == 1_000_000_000)
        #expect(UpstreamState.backoff(afterFailures: 2) == 2_000_000_000)
        #expect(UpstreamState.backoff(afterFailures: 5) == 16_000_000_000)
        #expect(UpstreamState.backoff(afterFailures: 6) == 30_000_000_000)
        #expect(UpstreamState.backoff(afterFailures: 60) == 30_000_000_000)
    }

    @Test func triedSetHoldsIndicesOnBothSidesOfItsMask() {
        var tried: UpstreamIndexSet = [0, 63]
        tried.insert(64)
        tried.insert(200)
        tried.insert(63)
        #expect(tried.count == 4)
        #expect([0, 63, 64, 200].allSatisfy { tried.contains($0) })
        #expect(![1, 62, 65, 199].contains { tried.contains($0) })
        tried.removeAll()
        #expect(tried.count == 0)
        #expect(![0, 63, 64, 200].contains { tried.contains($0) })
    }

    @Test func everyUpstreamOfALargePoolIsTriedOnce() throws {
        let pool = Self.pool(70, policy: .roundRobin)
        var tried = UpstreamIndexSet()
        for _ in 0..<70 {
            let pick = try #require(pool.pick(excluding: tried, now: 0))
            #expect(!tried.contains(pick.index))
            tried.insert(pick.index)
        }
        #expect(tried.count == 70)
        #expect(pool.pick(excluding: tried, now: 0) == nil)
    }
}
