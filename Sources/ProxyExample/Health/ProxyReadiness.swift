import ExampleSupport

/// `/readyz` of the proxy: ready while at least one upstream is in rotation and the proxy is
/// not draining. Reads two flags (one lock); thread-safe.
struct ProxyReadiness: ReadinessCheck {
    let forwarder: PairForwarder

    func notReadyReason() -> String? {
        if forwarder.stopGate.isStopped { return "draining" }
        if !forwarder.upstreams.anyInRotation { return "no upstream is up" }
        return nil
    }
}
