import Configuration
import EventLoop
import ExampleSupport

extension SettingsLoader {
    /// The validated settings, each from the first source that gives it (flags, environment,
    /// file) or its default. Throws ``SettingError`` naming the key, the problem and the
    /// source (`flag --threads`, `environment variable PROXY_THREADS`, `proxy.conf:3`) for a
    /// value of the wrong type or out of range. O(settings).
    func settings() async throws -> ProxySettings {
        var settings = ProxySettings()
        settings.listen = try await addresses("listen")
        settings.upstreams = try await addresses("upstream", allowingNames: true, unique: true)
        if settings.listen.isEmpty && !ignored.contains("listen") {
            throw SettingError(key: nil, message: "no listen address (--listen HOST:PORT, PROXY_LISTEN or listen in the config file)")
        }
        if let balance = try await choice("balance", BalancePolicy.self) { settings.balance = balance }
        settings.threads = try await integer("threads", in: 1...Int.max)
        if let seconds = try await number("connect-timeout", minimum: 0.001) { settings.connectTimeout = .seconds(seconds) }
        if let seconds = try await number("idle-timeout", minimum: 0) { settings.idleTimeout = seconds > 0 ? .seconds(seconds) : nil }
        settings.retries = try await integer("retries", in: 1...Int.max)
        settings.limits.maxConns = try await integer("max-conns", in: 1...Int.max)
        settings.limits.maxConnsPerIP = try await integer("max-conns-per-ip", in: 1...Int.max)
        settings.limits.ratePerIP = try await number("rate-per-ip", minimum: 0.001)
        settings.limits.allow = try await cidrs("allow")
        settings.limits.deny = try await cidrs("deny")
        if let bits = try await integer("ipv6-prefix-len", in: 0...128) { settings.limits.ipv6PrefixLength = bits }
        if let size = try await integer("ip-table-size", in: 1...Int.max) { settings.limits.ipTableSize = size }
        if let splice = try await choice("splice", SpliceOption.self) { settings.splice = splice }
        if let api = try await choice("api", ProxyAPI.self) { settings.api = api }
        if let (metrics, provider) = try await fetch("metrics-listen", expected: "text", { try await $0.fetchString(forKey: $1, isSecret: $2) }) {
            do { _ = try SocketAddress(metrics) } catch { throw failure("metrics-listen", "\(error)", provider: provider, text: metrics) }
            settings.metricsListen = metrics
        }
        if let seconds = try await number("drain-timeout", minimum: 0) { settings.drainTimeout = .seconds(seconds) }
        if let level = try await choice("log-level", LogLevelOption.self) { settings.logLevel = level }
        try await readLogFormatAndHealth(into: &settings)
        if let accept = try await boolean("accept-proxy") { settings.acceptProxy = accept }
        settings.sendProxy = try await choice("send-proxy", SendProxyOption.self)
        if let seconds = try await number("proxy-header-timeout", minimum: 0.001) { settings.proxyHeaderTimeout = .seconds(seconds) }
        if let seconds = try await number("resolve-interval", minimum: 0) { settings.resolveInterval = seconds > 0 ? .seconds(seconds) : nil }
        settings.tcpOptions = try await tcpOptions()
        settings.tls = try await tlsSettings()
        if settings.upstreams.isEmpty && settings.tls.routes.isEmpty && !ignored.contains("upstream") && !ignored.contains("route-sni") {
            throw SettingError(key: nil, message: "no upstream (--upstream HOST:PORT, PROXY_UPSTREAM or upstream in the config file; or --route-sni NAME=HOST:PORT)")
        }
        return settings
    }

    /// `tcp-keepalive` (whole seconds, 0: off) and `tcp-user-timeout` (seconds, 0: off).
    private func tcpOptions() async throws -> TCPOptions {
        let keepAlive = try await integer("tcp-keepalive", in: 0...32767) ?? 0
        let userTimeout = try await number("tcp-user-timeout", minimum: 0) ?? 0
        do {
            return try TCPOptions(keepAliveSeconds: keepAlive, userTimeoutSeconds: userTimeout)
        } catch {
            var key = "tcp-keepalive"
            if case .invalidOption(name: "TCP_USER_TIMEOUT", _) = error.code { key = "tcp-user-timeout" }
            throw failure(key, "\(error)", provider: recorder.provider(of: key) ?? 0, text: nil)
        }
    }

    /// `--log-format` and the `--health-*` settings.
    private func readLogFormatAndHealth(into settings: inout ProxySettings) async throws {
        if let format = try await choice("log-format", LogFormat.self) { settings.logFormat = format }
        if let seconds = try await number("health-interval", minimum: 0) { settings.health.interval = seconds }
        for key in ["health-send", "health-expect"] {
            guard let (text, provider) = try await fetch(key, expected: "text", { try await $0.fetchString(forKey: $1, isSecret: $2) }) else {
                continue
            }
            let bytes: [UInt8]
            do { bytes = try CEscapes.decode(text) } catch { throw failure(key, "\(error)", provider: provider, text: text) }
            if key == "health-send" { settings.health.send = bytes } else { settings.health.expect = bytes }
        }
        if let fall = try await integer("health-fall", in: 1...Int.max) { settings.health.fall = fall }
        if let rise = try await integer("health-rise", in: 1...Int.max) { settings.health.rise = rise }
        if let seconds = try await number("health-timeout", minimum: 0.001) { settings.health.timeout = seconds }
    }

    /// Reads a true/false setting (nil when no source gives it).
    func boolean(_ key: String) async throws -> Bool? {
        try await fetch(key, expected: "true or false", { try await $0.fetchBool(forKey: $1, isSecret: $2) })?.0
    }

    /// Reads `key` with `read` (the reader, the key, whether it is secret); returns the value
    /// and the index of the provider that gave it, nil when no source gives it. A value that
    /// does not convert throws ``SettingError`` saying it is not `expected`.
    func fetch<Value>(
        _ key: String, expected: String, _ read: (ConfigReader, ConfigKey, Bool) async throws -> Value?
    ) async throws -> (Value, provider: Int)? {
        // A key already reported by a check (``allErrors()``) reads as not given.
        if ignored.contains(key) { return nil }
        do {
            guard let value = try await read(reader, ConfigKey(key), secret.contains(key)) else { return nil }
            return (value, recorder.provider(of: key) ?? 0)
        } catch {
            let provider = recorder.provider(of: key) ?? 0
            if let textError = error as? TextValueError, case .givenMoreThanOnce = textError {
                throw failure(key, "\(error)", provider: provider, text: nil)
            }
            throw failure(key, "\(shown(key, provider: provider, text: nil)) is not \(expected)", provider: provider, text: nil)
        }
    }

    /// A list setting: an array, or a single value (a string in JSON or YAML; a comma-separated
    /// list in an environment variable).
    func list(_ key: String) async throws -> ([String], provider: Int)? {
        do {
            return try await fetch(key, expected: "a list of text") { try await $0.fetchStringArray(forKey: $1, isSecret: $2) }
        } catch {
            guard let (single, provider) = try? await fetch(key, expected: "text", { try await $0.fetchString(forKey: $1, isSecret: $2) }) else {
                throw error
            }
            return ([single], provider)
        }
    }

    private func integer(_ key: String, in range: ClosedRange<Int>) async throws -> Int? {
        let expected = range.upperBound == Int.max
            ? "a whole number >= \(range.lowerBound)" : "a whole number from \(range.lowerBound) to \(range.upperBound)"
        guard let (value, provider) = try await fetch(key, expected: expected, { try await $0.fetchInt(forKey: $1, isSecret: $2) }) else {
            return nil
        }
        guard range.contains(value) else {
            throw failure(key, "\(shown(key, provider: provider, text: nil, fallback: "\(value)")) is not \(expected)", provider: provider, text: nil)
        }
        return value
    }

    func number(_ key: String, minimum: Double) async throws -> Double? {
        let expected = "a number >= \(minimum)"
        guard let (value, provider) = try await fetch(key, expected: expected, { try await $0.fetchDouble(forKey: $1, isSecret: $2) }) else {
            return nil
        }
        guard value.isFinite, value >= minimum else {
            throw failure(key, "\(shown(key, provider: provider, text: nil, fallback: "\(value)")) is not \(expected)", provider: provider, text: nil)
        }
        return value
    }

    private func choice<T: RawRepresentable & CaseIterable>(_ key: String, _ type: T.Type) async throws -> T? where T.RawValue == String {
        let names = T.allCases.map(\.rawValue).joined(separator: ", ")
        guard let (text, provider) = try await fetch(key, expected: "one of \(names)", { try await $0.fetchString(forKey: $1, isSecret: $2) }) else {
            return nil
        }
        guard let value = T(rawValue: text) else {
            throw failure(key, "\(shown(key, provider: provider, text: text)) is not one of \(names)", provider: provider, text: text)
        }
        return value
    }

    /// A list of addresses; with `allowingNames`, `NAME:PORT` too (resolved later); with
    /// `unique`, an address given twice is an error.
    private func addresses(_ key: String, allowingNames: Bool = false, unique: Bool = false) async throws -> [String] {
        guard let (texts, provider) = try await list(key) else { return [] }
        var seen: Set<String> = []
        for text in texts {
            do { _ = try SocketAddress(text) } catch {
                if !allowingNames || !HostPort.isName(text) { throw failure(key, "\(error)", provider: provider, text: text) }
            }
            if unique && !seen.insert(text).inserted {
                throw failure(key, "\(quoted(text)) is given more than once", provider: provider, text: text)
            }
        }
        return texts
    }

    private func cidrs(_ key: String) async throws -> [CIDR] {
        guard let (texts, provider) = try await list(key) else { return [] }
        var result: [CIDR] = []
        for text in texts {
            do { result.append(try CIDR(text)) } catch { throw failure(key, error.message, provider: provider, text: text) }
        }
        return result
    }

    /// `key`'s value as an error shows it: quoted text (`text`, else the provider's raw string,
    /// else `fallback`), `a secret value` for a secret, `the value` when there is no text.
    private func shown(_ key: String, provider: Int, text: String?, fallback: String? = nil) -> String {
        if secret.contains(key) { return "a secret value" }
        if let text = text ?? rawText(key, provider: provider) ?? fallback { return quoted(text) }
        return "the value"
    }

    /// The value of `key` in `provider` as a string, when it has one.
    private func rawText(_ key: String, provider: Int) -> String? {
        guard providers.indices.contains(provider),
              let lookup = try? providers[provider].value(forKey: AbsoluteConfigKey([key]), type: .string),
              case .string(let text)? = lookup.value?.content else { return nil }
        return text
    }

    /// The error for `key` given by `provider`, naming the source (with the file line of the
    /// value `text` when known).
    func failure(_ key: String, _ message: String, provider: Int, text: String?) -> SettingError {
        guard sources.indices.contains(provider) else { return SettingError(key: key, message: message) }
        let line = (providers[provider].snapshot() as? KeyLines)?.line(of: key, value: text ?? rawText(key, provider: provider))
        return SettingError(key: key, message: message, source: sources[provider].describe(key: key, line: line))
    }
}
