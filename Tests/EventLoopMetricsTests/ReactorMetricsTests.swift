import EventLoop
import EventLoopMetrics
import EventLoopTesting
import MetricsTestKit
import Testing

/// The reactor statistics reach a swift-metrics backend, one series per reactor.
@Suite struct ReactorMetricsTests {
    @Test func updatesReportTheStatisticsPerReactor() async throws {
        try await withReactorGroup(reactors: 2) { group in
            let backend = TestMetrics()
            let metrics = ReactorMetrics(group: group, factory: backend)
            metrics.update()
            let first = group.reactors[0].name
            let openBefore = try backend.expectGauge("eventloop_reactor_open_sockets", [("reactor", first)]).lastValue
            #expect(openBefore == 0)
            let pair = try await LoopbackPair.make(group: group)
            for round in 0..<10 {
                try await pair.client.write(Array("ping \(round)\n".utf8))
                var buffer = ByteBuffer(capacity: 64)
                _ = try await pair.server.read(into: &buffer)
            }
            metrics.update()
            let events = group.reactors.map { reactor in
                backend.counterTotal(label: "eventloop_reactor_events_total", dimensions: [("reactor", reactor.name)])
            }
            let statistics = group.statistics
            #expect(events.reduce(0, +) > 0, "the reads were counted")
            for (index, reactor) in group.reactors.enumerated() {
                let dimensions = [("reactor", reactor.name)]
                // The counters equal the statistics read by the last update (they never run ahead).
                #expect(UInt64(events[index]) <= statistics[index].eventsHandled)
                #expect(UInt64(backend.counterTotal(label: "eventloop_reactor_tasks_total", dimensions: dimensions)) <= statistics[index].tasksRun)
                #expect(backend.counterTotal(label: "eventloop_reactor_loop_iterations_total", dimensions: dimensions) > 0)
                _ = try backend.expectCounter("eventloop_reactor_stalls_total", dimensions)
                _ = try backend.expectGauge("eventloop_reactor_timers_armed", dimensions)
                _ = try backend.expectGauge("eventloop_reactor_buffer_pool_in_use", dimensions)
                _ = try backend.expectGauge("eventloop_reactor_buffer_pool_kept_bytes", dimensions)
            }
            let open = group.reactors.map { reactor in
                (try? backend.expectGauge("eventloop_reactor_open_sockets", [("reactor", reactor.name)]).lastValue) ?? 0
            }
            #expect(open.reduce(0, +) >= 2, "both ends of the pair are open sockets")
            pair.close()
        }
    }
}
