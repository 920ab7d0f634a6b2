import EventLoop

extension UpstreamPool {
    /// One upstream as the health checks see it: what to dial and its metric objects.
    struct Target: Sendable {
        let index: Int
        let label: String
        let addresses: [SocketAddress]
        let metrics: UpstreamMetrics
    }

    /// Every upstream, in order (for the health checks). O(upstreams), one lock.
    var targets: [Target] {
        state.withLock { state in
            state.upstreams.indices.map { index in
                let upstream = state.upstreams[index]
                return Target(index: index, label: upstream.label, addresses: upstream.addresses, metrics: upstream.metrics)
            }
        }
    }

    /// The active checks' verdict on upstream `index`: false takes it out of rotation (no
    /// client is sent to it, not even as a passive probe), true puts it back. Sets its
    /// `proxy_upstream_up` to whether it is now in rotation.
    func setHealthy(_ index: Int, _ healthy: Bool) {
        let (inRotation, metrics) = state.withLock { state in
            state.upstreams[index].healthy = healthy
            return (state.upstreams[index].inRotation, state.upstreams[index].metrics)
        }
        metrics.setUp(inRotation)
    }

    /// A health probe of upstream `index` succeeded: a passive down state (connect failures of
    /// clients) ends now rather than after its back-off. True when it was passively down.
    func clearPassiveFailures(_ index: Int) -> Bool {
        let (wasDown, inRotation, metrics) = state.withLock { state in
            let wasDown = !state.upstreams[index].isUp
            state.upstreams[index].failures = 0
            state.upstreams[index].downUntil = 0
            return (wasDown, state.upstreams[index].inRotation, state.upstreams[index].metrics)
        }
        if wasDown { metrics.setUp(inRotation) }
        return wasDown
    }

    /// True when at least one upstream is in rotation (up, and not failed by the health checks).
    var anyInRotation: Bool {
        state.withLock { $0.upstreams.contains { $0.inRotation } }
    }
}
