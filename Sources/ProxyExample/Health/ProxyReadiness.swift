import ExampleSupport

/// `/readyz` of the proxy: ready while at least one upstream is in rotation and the proxy is
/// not draining. Reads two flags (one lock); thread-safe.
struct ProxyReadiness: ReadinessCheck {
    let live: LiveProxy

    func notReadyReason() -> String? {
        let forwarder = live.forwarder
        if forwarder.stopGate.isStopped { return "draining" }
        if !forwarder.upstreams.anyInRotation { return "no upstream is up" }
        return nil
    }
}
