/// What the metrics listener's `/readyz` asks: whether the program should get traffic now.
public protocol ReadinessCheck: Sendable {
    /// Nil when ready; otherwise one line saying why not (`draining`, `no upstream is up`).
    /// Called once per `/readyz` request, on the reactor serving it: keep it cheap.
    func notReadyReason() -> String?
}
