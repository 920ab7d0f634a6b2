import Foundation
import Testing

/// The tests over real network conditions: programs in two network namespaces joined by a
/// shaped link (`Scripts/netlab.sh`: delay 20 ms ± 5 ms, loss 1 %, reordering 5 %, 50 Mbit/s,
/// and a blackhole). One test at a time (`.serialized`, recursive), so transfers never share
/// a link's worth of CPU; skipped with the reason printed without CAP_NET_ADMIN or the tools.
@Suite(.serialized, .enabled(if: Tools.available, Tools.skipReason))
struct NetlabTests {}

/// How big the transfers are: 64 MiB, or 16 MiB under a sanitizer (`.ci/run` sets
/// `TSAN_OPTIONS` / `ASAN_OPTIONS`); `EVENTLOOP_NETLAB_MEGABYTES` overrides.
enum NetlabScale {
    static let environment = ProcessInfo.processInfo.environment
    static let underSanitizer = environment["TSAN_OPTIONS"] != nil || environment["ASAN_OPTIONS"] != nil
    static var megabytes: Int {
        environment["EVENTLOOP_NETLAB_MEGABYTES"].flatMap { Int($0) } ?? (underSanitizer ? 16 : 64)
    }
}
