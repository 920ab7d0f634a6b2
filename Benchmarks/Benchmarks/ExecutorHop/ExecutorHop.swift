// What one suspend/resume costs when the task runs on the reactor (the reactor is its task
// executor) against when it runs on Swift's global executor and each resume crosses threads.
//
// Every iteration suspends on a continuation that a closure queued with `Reactor.execute`
// resumes:
//   - "resume on reactor (no hop)": the task runs on the reactor thread, so `execute` queues
//     locally and the task's job is queued locally again: no lock, no wake-up, no other thread.
//   - "resume via global executor (thread hop)": the task runs on the global pool, so `execute`
//     goes through the reactor's locked inbox and eventfd wake-up, and the resume goes back to
//     the pool: two thread crossings per iteration.
//   - "Task.yield on reactor": the cheapest suspension on the reactor, for reference.
//
// Each benchmark starts its own one-reactor group in setup and shuts it down in teardown. The
// iterations run inside one task per sample; starting that task is inside the measurement but is
// spread over the scaled iterations (a million on the reactor, a thousand for the hop).

import Benchmark
import EventLoop
import Synchronization

/// One `ReactorGroup(count: 1)` per benchmark run: started by setup, shut down by teardown.
final class ReactorFixture: Sendable {
    private let group = Mutex<ReactorGroup?>(nil)

    func start() throws -> Reactor {
        let started = try ReactorGroup(count: 1, name: "bench-reactor")
        group.withLock { $0 = started }
        return started.reactors[0]
    }

    func stop() async {
        let running = group.withLock { group -> ReactorGroup? in
            defer { group = nil }
            return group
        }
        await running?.shutdown()
    }
}

/// Suspends `iterations.count` times, each time resumed by a closure the reactor runs.
@inline(never)
func resumeLoop(_ reactor: Reactor, _ iterations: Range<Int>) async {
    for index in iterations {
        await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
            reactor.execute { continuation.resume() }
        }
        blackHole(index)
    }
}

/// Yields `iterations.count` times.
@inline(never)
func yieldLoop(_ iterations: Range<Int>) async {
    for index in iterations {
        await Task.yield()
        blackHole(index)
    }
}

let benchmarks: @Sendable () -> Void = {
    // `.instructions` needs hardware perf counters: it stays empty on a VM without a PMU.
    let metrics: [BenchmarkMetric] = [.wallClock, .throughput, .instructions, .mallocCountTotal]

    let onReactor = Benchmark.Configuration(
        metrics: metrics,
        timeUnits: .nanoseconds,
        warmupIterations: 2,
        scalingFactor: .mega,
        maxDuration: .seconds(5),
        maxIterations: 30
    )
    let hopping = Benchmark.Configuration(
        metrics: metrics,
        timeUnits: .nanoseconds,
        warmupIterations: 2,
        scalingFactor: .kilo,
        maxDuration: .seconds(5),
        maxIterations: 500
    )

    let noHop = ReactorFixture()
    Benchmark(
        "resume on reactor (no hop)",
        configuration: onReactor,
        closure: { benchmark, reactor in
            let iterations = benchmark.scaledIterations
            await Task(executorPreference: reactor) {
                await resumeLoop(reactor, iterations)
            }.value
        },
        setup: { try noHop.start() },
        teardown: { await noHop.stop() }
    )

    let hop = ReactorFixture()
    Benchmark(
        "resume via global executor (thread hop)",
        configuration: hopping,
        closure: { benchmark, reactor in
            let iterations = benchmark.scaledIterations
            await Task.detached {
                await resumeLoop(reactor, iterations)
            }.value
        },
        setup: { try hop.start() },
        teardown: { await hop.stop() }
    )

    let yielding = ReactorFixture()
    Benchmark(
        "Task.yield on reactor",
        configuration: onReactor,
        closure: { benchmark, reactor in
            let iterations = benchmark.scaledIterations
            await Task(executorPreference: reactor) {
                await yieldLoop(iterations)
            }.value
        },
        setup: { try yielding.start() },
        teardown: { await yielding.stop() }
    )
}
