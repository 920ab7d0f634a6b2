import EventLoop
import Logging
import ServiceLifecycle

/// The active health checks as a swift-service-lifecycle `Service`: one task per upstream, on
/// a reactor of the group (upstream i on reactor i mod count), probing it every
/// ``HealthCheckSettings/interval`` (each wait drawn from 90–110 % of it; the first from 0–100 %,
/// so the upstreams' probes spread out). After ``HealthCheckSettings/fall`` failed probes in
/// a row the upstream leaves the rotation, after ``HealthCheckSettings/rise`` good ones it
/// comes back; both transitions are logged at notice and set `proxy_upstream_up`. Failed
/// probes are logged at debug.
///
/// The pool and the settings are read through `current` before every probe: when a reload
/// installs another pool, the checks start over on it (a pool kept by a reload keeps its
/// state). It runs even while the checks are off (`--health-interval 0`), looking once a
/// second per upstream, so that a reload can turn them on; turning them off puts back every
/// upstream they had taken out. Stops at the graceful shutdown or when cancelled; no probe outlives `run()`.
struct HealthChecker: Service {
    /// The pool new clients are sent to and the health settings in force.
    let current: @Sendable () -> (pool: UpstreamPool, settings: HealthCheckSettings)
    let reactors: [Reactor]
    let logger: Logger

    func run() async {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let pool = current().pool
                // Returns once every task has seen another pool installed, or when cancelled.
                await withDiscardingTaskGroup { group in
                    for target in pool.targets {
                        let reactor = reactors[target.index % reactors.count]
                        group.addTask(executorPreference: reactor) {
                            await watch(target, of: pool, on: reactor)
                        }
                    }
                }
            }
        }
    }

    /// Probes `target` of `pool` until cancelled or until another pool is in force, keeping
    /// its run of good or failed probes.
    private func watch(_ target: UpstreamPool.Target, of pool: UpstreamPool, on reactor: Reactor) async {
        var healthy = true
        var (failures, successes) = (0, 0)
        var wait = max(current().settings.interval, 0.1) * Double.random(in: 0..<1)
        while true {
            do {
                try await reactor.sleep(for: .milliseconds(Int(wait * 1000)))
                let (inForce, settings) = current()
                guard inForce === pool else { return }
                guard settings.isEnabled else {
                    // Off (at start, or turned off by a reload): an upstream the checks had
                    // taken out goes back into rotation; look again in a second.
                    if !healthy {
                        healthy = true
                        (failures, successes) = (0, 0)
                        pool.setHealthy(target.index, true)
                        logger.notice("upstream \(target.label) is back in rotation (health checks turned off)")
                    }
                    wait = 1
                    continue
                }
                wait = settings.interval * Double.random(in: 0.9...1.1)
                let failure = try await HealthProbe.run(target, settings: settings, on: reactor)
                if let failure {
                    (failures, successes) = (failures + 1, 0)
                    logger.debug("health probe failed", metadata: ["upstream": "\(target.label)", "reason": "\(failure)"])
                    if healthy && failures >= settings.fall {
                        healthy = false
                        pool.setHealthy(target.index, false)
                        logger.notice("upstream \(target.label) is down (health check, \(failures) failed probes): \(failure)")
                    }
                } else {
                    (failures, successes) = (0, successes + 1)
                    if !healthy && successes >= settings.rise {
                        healthy = true
                        pool.setHealthy(target.index, true)
                        logger.notice("upstream \(target.label) is up (health check, \(successes) good probes)")
                    } else if healthy && pool.clearPassiveFailures(target.index) {
                        logger.notice("upstream \(target.label) is up (health check passed)")
                    }
                }
            } catch {
                return
            }
        }
    }
}
