extension StopGate {
    /// Returns once no client waits for an upstream (``waitingCount`` is 0) or `limit` has
    /// passed, whichever is first: the grace a graceful stop gives the clients accepted last
    /// before ``stop()`` refuses the rest. Checks every 5 ms; returns at once when cancelled.
    func waitUntilNoneWaiting(within limit: Duration) async {
        let deadline = ContinuousClock.now + limit
        while waitingCount > 0, ContinuousClock.now < deadline {
            do { try await Task.sleep(for: .milliseconds(5)) } catch { return }
        }
    }
}
