// The timing wheel against SwiftNIO's scheduleTask heap, 1,000,000 deadlines per iteration:
//   - arm+cancel: arm 1M deadlines (a 30 s connection timeout taken 1 µs apart), then cancel
//     them in arming order;
//   - churn: 10,000 deadlines stay armed; 1M times, cancel a random one and arm a new one;
//   - fire (virtual time): arm 1M deadlines spread over 10 s, then move the clock past them;
//   - fire (real time): the same over 1 s on the system clock; the loop thread's CPU time.
// Loops, wheel and arrays are reused across iterations (see Workload.swift): package-benchmark's
// warm-up iteration grows them, the measured ones run warm. Each side runs on its own loop thread (EventLoop's `Reactor`, NIO's `MultiThreadedEventLoopGroup`
// loop); the wheel alone and NIO's `EmbeddedEventLoop` run on the benchmark thread.
// The custom metrics are per deadline, in CPU time of the thread that owns the timers
// (ps = 10⁻¹² s);
// Benchmarks/Scripts/timers-vs-nio.sh turns them into operations per second and ratios.

import Benchmark
import EventLoop
import EventLoopTesting
import Glibc
import NIOCore
import NIOPosix
import Synchronization

let armMetric = BenchmarkMetric.custom("arm ps/deadline", useScalingFactor: false)
let cancelMetric = BenchmarkMetric.custom("cancel ps/deadline", useScalingFactor: false)
let heapMetric = BenchmarkMetric.custom("heap B/armed deadline", useScalingFactor: false)
let churnMetric = BenchmarkMetric.custom("churn ps/step", useScalingFactor: false)
let fireMetric = BenchmarkMetric.custom("fire ps/timer", useScalingFactor: false)

/// The benchmarks whose first (warm-up) iteration has run in this process.
let warmedUp = Mutex<Set<String>>([])

/// Appends `name<TAB>metric<TAB>value` to the file named by TIMERS_VS_NIO_SUMMARY, if set,
/// for the comparison script; the first iteration of each benchmark (package-benchmark's
/// warm-up, which grows the reused structures) is left out.
func summarize(_ name: String, _ metric: String, _ value: Int) {
    guard warmedUp.withLock({ $0.contains(name) }) else { return }
    guard let path = getenv("TIMERS_VS_NIO_SUMMARY").map({ String(cString: $0) }),
          let file = fopen(path, "a") else { return }
    fputs("\(name)\t\(metric)\t\(value)\n", file)
    fclose(file)
}

func perDeadline(_ nanoseconds: UInt64) -> Int { Int(nanoseconds * 1_000 / UInt64(deadlineCount)) }

/// Marks the end of an iteration of `benchmark`: later ones go to the summary.
func endIteration(_ benchmark: Benchmark) {
    _ = warmedUp.withLock { $0.insert(benchmark.name) }
}

func record(_ benchmark: Benchmark, _ result: ArmCancelResult) {
    defer { endIteration(benchmark) }
    let values = [(armMetric, "arm_ps", perDeadline(result.armNanoseconds)),
                  (cancelMetric, "cancel_ps", perDeadline(result.cancelNanoseconds)),
                  (heapMetric, "heap_bytes", result.heapBytes / deadlineCount)]
    for (metric, key, value) in values {
        benchmark.measurement(metric, value)
        summarize(benchmark.name, key, value)
    }
}

func record(_ benchmark: Benchmark, churn nanoseconds: UInt64) {
    defer { endIteration(benchmark) }
    benchmark.measurement(churnMetric, perDeadline(nanoseconds))
    summarize(benchmark.name, "churn_ps", perDeadline(nanoseconds))
}

func record(_ benchmark: Benchmark, _ result: FireResult) {
    defer { endIteration(benchmark) }
    benchmark.measurement(fireMetric, perDeadline(result.fireNanoseconds))
    summarize(benchmark.name, "fire_ps", perDeadline(result.fireNanoseconds))
    summarize(benchmark.name, "fired", result.fired)
}

let benchmarks: @Sendable () -> Void = {
    let configuration = Benchmark.Configuration(
        metrics: [.wallClock, .mallocCountTotal, armMetric, cancelMetric, heapMetric, churnMetric, fireMetric],
        timeUnits: .milliseconds,
        warmupIterations: 1,
        scalingFactor: .one,
        maxDuration: .seconds(20),
        maxIterations: 5
    )
    let offsets = connectionTimeoutOffsets()
    let spread = spreadOffsets()
    let spreadOneSecond = spreadOffsets(over: 1_000_000_000)
    let steps = churnSteps()
    // Arming 1M NIO tasks takes up to about a second on a loaded machine: the real-time
    // deadlines start later than that, so that arming is over before the first one is due.
    let realTimeMargin: UInt64 = 2_000_000_000

    // MARK: arm+cancel

    Benchmark("arm+cancel 1M: wheel alone", configuration: configuration) { benchmark in
        record(benchmark, wheelArmThenCancel(offsets: offsets))
    }
    Benchmark("heap per deadline: wheel alone (new wheel)", configuration: configuration) { benchmark in
        record(benchmark, wheelHeapPerDeadline(offsets: offsets))
    }
    Benchmark("arm+cancel 1M: Reactor.schedule", configuration: configuration) { benchmark in
        let result = try await reactorArmThenCancel(benchReactor, offsets: offsets)
        record(benchmark, result)
    }
    Benchmark("arm+cancel 1M: NIO scheduleTask", configuration: configuration) { benchmark in
        let result = try await nioArmThenCancel(nioLoop, offsets: offsets)
        record(benchmark, result)
    }
    Benchmark("arm+cancel 1M: NIO scheduleCallback", configuration: configuration) { benchmark in
        let result = try await nioCallbackArmThenCancel(nioLoop, offsets: offsets)
        record(benchmark, result)
    }
    Benchmark("arm+cancel 1M: NIO Embedded scheduleTask", configuration: configuration) { benchmark in
        record(benchmark, embeddedArmThenCancel(offsets: offsets))
    }

    // MARK: churn

    Benchmark("churn 1M (10k armed): wheel alone", configuration: configuration) { benchmark in
        record(benchmark, churn: wheelChurn(steps: steps))
    }
    Benchmark("churn 1M (10k armed): Reactor.schedule", configuration: configuration) { benchmark in
        let elapsed = try await reactorChurn(benchReactor, steps: steps)
        record(benchmark, churn: elapsed)
    }
    Benchmark("churn 1M (10k armed): NIO scheduleTask", configuration: configuration) { benchmark in
        let elapsed = try await nioChurn(nioLoop, steps: steps)
        record(benchmark, churn: elapsed)
    }

    // MARK: fire

    Benchmark("fire 1M (virtual time): wheel alone", configuration: configuration) { benchmark in
        record(benchmark, wheelFire(offsets: spread))
    }
    Benchmark("fire 1M (virtual time): Reactor.schedule + ManualClock", configuration: configuration) { benchmark in
        let result = try await reactorFireVirtual(manualReactor, clock: manualClock, offsets: spread)
        record(benchmark, result)
    }
    Benchmark("fire 1M (virtual time): NIO Embedded scheduleTask", configuration: configuration) { benchmark in
        record(benchmark, embeddedFire(offsets: spread))
    }
    Benchmark("fire 1M (real time, loop CPU): Reactor.schedule", configuration: configuration) { benchmark in
        let result = await reactorFireRealTime(benchReactor, offsets: spreadOneSecond, margin: realTimeMargin)
        record(benchmark, result)
    }
    Benchmark("fire 1M (real time, loop CPU): NIO scheduleTask", configuration: configuration) { benchmark in
        let result = await nioFireRealTime(nioLoop, offsets: spreadOneSecond, margin: realTimeMargin)
        record(benchmark, result)
    }
}
