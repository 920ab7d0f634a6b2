@testable import EventLoop
import EventLoopTesting
import PropertyBased
import TestSupport
import Testing

/// Random sequences of reads, writes, slices, copies, growth, integer access, compaction and
/// (for pooled buffers) recycling, checked step by step against a `[UInt8]` model with a
/// reader and a writer index (see ``BufferScenario``).
@Suite struct ByteBufferPropertyTests {
    /// Scenarios per test: enough to reach growth past a chunk, shared copies and compaction
    /// many times, few enough to stay well under a second in a debug build.
    static let scenarios = 300

    static let steps = zip(Gen.int(in: 0...(BufferStep.kinds - 1)), Gen.int(in: 0...3000), Gen.int(in: 0...255))
        .map { BufferStep(kind: $0, size: $1, small: $2) }
        .array(of: 1...60)

    @Test func heapBuffersMatchTheModel() async {
        await propertyCheck(count: Self.scenarios, input: Self.steps, Gen.int(in: 0...300)) { steps, capacity in
            var scenario = BufferScenario(start: ByteBuffer(capacity: capacity), pool: nil)
            let problems = scenario.run(steps)
            #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
        }
    }

    @Test func pooledBuffersMatchTheModel() async throws {
        try await withReactorGroup { group in
            let reactor = group.reactors[0]
            await propertyCheck(count: Self.scenarios, input: Self.steps, Gen.int(in: 0...70_000)) { steps, capacity in
                let (problems, inUseAfter) = try await reactor.submit { () -> ([String], Int) in
                    let pool = reactor.bufferPool
                    let inUseBefore = pool.stats.inUse
                    var problems: [String]
                    do {
                        var scenario = BufferScenario(start: pool.acquire(minimumCapacity: capacity), pool: pool)
                        problems = scenario.run(steps)
                    }
                    // Every buffer of the scenario is gone: each chunk is back (dropped on the
                    // reactor thread, so synchronously).
                    return (problems, pool.stats.inUse - inUseBefore)
                }
                #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
                #expect(inUseAfter == 0, "pooled chunks still out after the scenario")
            }
        }
    }
}
