/// The names of the proxy's settings, shared by every source: a flag is `--NAME`, an
/// environment variable `PROXY_` + NAME in upper snake case, a config file key is NAME.
enum SettingKeys {
    /// Every setting the proxy reads (the long flags without dashes).
    static let all: Set<String> = [
        "listen", "upstream", "balance", "threads", "connect-timeout", "idle-timeout", "retries",
        "max-conns", "max-conns-per-ip", "rate-per-ip", "allow", "deny", "splice", "metrics-listen",
        "drain-timeout", "log-level", "api", "ipv6-prefix-len", "ip-table-size",
        "log-format", "health-interval", "health-send", "health-expect", "health-fall", "health-rise", "health-timeout",
        "accept-proxy", "send-proxy", "proxy-header-timeout",
        "resolve-interval",
        "tcp-keepalive", "tcp-user-timeout",
        "tls-cert", "tls-key", "upstream-tls", "upstream-ca", "upstream-sni", "tls-handshake-timeout",
        "route-sni",
    ]

    /// The settings whose values are secret: they are read with `isSecret: true` (the
    /// configuration library redacts them in its access logs) and error messages never quote
    /// them: the TLS certificate and key paths.
    static let secret: Set<String> = ["tls-cert", "tls-key"]

    /// The environment variable of `key`: `PROXY_` + the key in upper snake case
    /// (`max-conns-per-ip` → `PROXY_MAX_CONNS_PER_IP`).
    static func environmentName(_ key: String) -> String {
        "PROXY_" + String(key.uppercased().map { $0.isLetter || $0.isNumber ? $0 : "_" })
    }
}
