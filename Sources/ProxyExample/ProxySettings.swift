import EventLoop
import ExampleSupport
import Glibc
import Logging

/// How a client's upstream is chosen.
enum BalancePolicy: String, Sendable, CaseIterable {
    /// Each new client goes to the next upstream in turn.
    case roundRobin = "round-robin"
    /// Each new client goes to the upstream with the fewest open pairs.
    case leastConn = "least-conn"
}

/// Whether pairs move bytes with splice(2).
enum SpliceOption: String, Sendable, CaseIterable {
    /// Copy loop for small exchanges, splice once a direction streams in bulk.
    case auto
    /// Always splice.
    case on
    /// Never splice: read into pooled buffers and write them.
    case off
}

/// Which level of the library serves each client.
enum ProxyAPI: String, Sendable, CaseIterable {
    /// Reactor-thread callbacks (`Listener.serveConnections`, the callback dial and relay): no
    /// task per client. The default: the cheapest per connection.
    case handler
    /// One task per client (`Listener.serve`, the async dial and relay).
    case async
}

/// Every setting of the proxy, validated.
struct ProxySettings: Sendable {
    var listen: [String] = []
    var upstreams: [String] = []
    var balance: BalancePolicy = .roundRobin
    var threads: Int?
    var connectTimeout: Duration = .seconds(3)
    var idleTimeout: Duration? = .seconds(300)
    var retries: Int?
    var limits = AdmissionLimits()
    var splice: SpliceOption = .auto
    var api: ProxyAPI = .handler
    var metricsListen: String?
    var drainTimeout: Duration = .seconds(5)
    var logLevel: LogLevelOption = .info

    /// The names a config file may use (the long flags without dashes).
    static let configKeys: Set<String> = [
        "listen", "upstream", "balance", "threads", "connect-timeout", "idle-timeout", "retries",
        "max-conns", "max-conns-per-ip", "rate-per-ip", "allow", "deny", "splice", "metrics-listen",
        "drain-timeout", "log-level", "api", "ipv6-prefix-len", "ip-table-size",
    ]

    /// Merges flags over a config file: a setting given as a flag replaces every value the
    /// file gave it (a repeatable flag replaces the whole list).
    struct Builder {
        private let file: ConfigFile
        private var given: [String: [String]] = [:]

        init(file: ConfigFile) { self.file = file }

        /// A repeatable flag's values (empty: not given).
        mutating func list(_ key: String, _ values: [String]) {
            if !values.isEmpty { given[key] = values }
        }

        /// A single flag's value (nil: not given).
        mutating func value(_ key: String, _ value: String?) {
            if let value { given[key] = [value] }
        }

        private func values(_ key: String) -> [String] { given[key] ?? file.values(key) }

        private func single(_ key: String) throws(ConfigError) -> String? {
            let all = values(key)
            if all.count > 1 { throw ConfigError(line: 0, message: "\(key) given \(all.count) times; it takes one value") }
            return all.first
        }

        private func number(_ key: String, minimum: Double) throws(ConfigError) -> Double? {
            guard let text = try single(key) else { return nil }
            guard let value = Double(text), value.isFinite, value >= minimum else {
                throw ConfigError(line: 0, message: "\(key): \(text.debugDescription) is not a number >= \(minimum)")
            }
            return value
        }

        private func integer(_ key: String, minimum: Int) throws(ConfigError) -> Int? {
            guard let text = try single(key) else { return nil }
            guard let value = Int(text), value >= minimum else {
                throw ConfigError(line: 0, message: "\(key): \(text.debugDescription) is not a whole number >= \(minimum)")
            }
            return value
        }

        private func integer(_ key: String, in range: ClosedRange<Int>) throws(ConfigError) -> Int? {
            guard let text = try single(key) else { return nil }
            guard let value = Int(text), range.contains(value) else {
                throw ConfigError(line: 0, message: "\(key): \(text.debugDescription) is not a whole number from \(range.lowerBound) to \(range.upperBound)")
            }
            return value
        }

        private func choice<T: RawRepresentable>(_ key: String, _ type: T.Type) throws(ConfigError) -> T? where T.RawValue == String, T: CaseIterable {
            guard let text = try single(key) else { return nil }
            guard let value = T(rawValue: text) else {
                let names = T.allCases.map(\.rawValue).joined(separator: ", ")
                throw ConfigError(line: 0, message: "\(key): \(text.debugDescription) is not one of \(names)")
            }
            return value
        }

        private func addresses(_ key: String) throws(ConfigError) -> [String] {
            let all = values(key)
            for text in all {
                do { _ = try SocketAddress(text) } catch { throw ConfigError(line: 0, message: "\(key): \(error)") }
            }
            return all
        }

        /// The validated settings; throws ``ConfigError`` naming the setting.
        func build() throws(ConfigError) -> ProxySettings {
            var settings = ProxySettings()
            settings.listen = try addresses("listen")
            settings.upstreams = try addresses("upstream")
            if settings.listen.isEmpty { throw ConfigError(line: 0, message: "no listen address (--listen HOST:PORT)") }
            if settings.upstreams.isEmpty { throw ConfigError(line: 0, message: "no upstream (--upstream HOST:PORT)") }
            if let balance = try choice("balance", BalancePolicy.self) { settings.balance = balance }
            settings.threads = try integer("threads", minimum: 1)
            if let seconds = try number("connect-timeout", minimum: 0.001) { settings.connectTimeout = .seconds(seconds) }
            if let seconds = try number("idle-timeout", minimum: 0) { settings.idleTimeout = seconds > 0 ? .seconds(seconds) : nil }
            settings.retries = try integer("retries", minimum: 1)
            settings.limits.maxConns = try integer("max-conns", minimum: 1)
            settings.limits.maxConnsPerIP = try integer("max-conns-per-ip", minimum: 1)
            settings.limits.ratePerIP = try number("rate-per-ip", minimum: 0.001)
            settings.limits.allow = try cidrs("allow")
            settings.limits.deny = try cidrs("deny")
            if let bits = try integer("ipv6-prefix-len", in: 0...128) { settings.limits.ipv6PrefixLength = bits }
            if let size = try integer("ip-table-size", minimum: 1) { settings.limits.ipTableSize = size }
            if let splice = try choice("splice", SpliceOption.self) { settings.splice = splice }
            if let api = try choice("api", ProxyAPI.self) { settings.api = api }
            if let metrics = try single("metrics-listen") {
                do { _ = try SocketAddress(metrics) } catch { throw ConfigError(line: 0, message: "metrics-listen: \(error)") }
                settings.metricsListen = metrics
            }
            if let seconds = try number("drain-timeout", minimum: 0) { settings.drainTimeout = .seconds(seconds) }
            if let level = try choice("log-level", LogLevelOption.self) { settings.logLevel = level }
            return settings
        }

        private func cidrs(_ key: String) throws(ConfigError) -> [CIDR] {
            var result: [CIDR] = []
            for text in values(key) {
                do { result.append(try CIDR(text)) } catch { throw ConfigError(line: 0, message: "\(key): \(error.message)") }
            }
            return result
        }
    }
}

/// Reads a whole text file of at most `limit` bytes. Throws a message naming the errno.
func readTextFile(_ path: String, limit: Int = 1 << 20) throws -> String {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw ConfigError(line: 0, message: String(cString: strerror(errno))) }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 16 * 1024)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count < 0 {
            if errno == EINTR { continue }
            throw ConfigError(line: 0, message: String(cString: strerror(errno)))
        }
        if count == 0 { break }
        bytes += chunk[..<count]
        if bytes.count > limit { throw ConfigError(line: 0, message: "larger than \(limit) bytes") }
    }
    return String(decoding: bytes, as: UTF8.self)
}
