import Testing
@testable import ProxyExample

@Suite struct SettingsTests {
    @Test func flagsAreRequired() {
        #expect(throws: ConfigError.self) { try ProxySettings.Builder(file: ConfigFile()).build() }
    }

    @Test func defaultsApply() throws {
        var builder = ProxySettings.Builder(file: ConfigFile())
        builder.list("listen", ["127.0.0.1:0"])
        builder.list("upstream", ["127.0.0.1:1"])
        let settings = try builder.build()
        #expect(settings.connectTimeout == .seconds(3))
        #expect(settings.idleTimeout == .seconds(300))
        #expect(settings.splice == .auto)
        #expect(settings.balance == .roundRobin)
        #expect(settings.api == .handler)
    }

    /// `--api` (or `api` in the file) picks the level clients are served at; a bad one is named.
    @Test func apiLevelIsChosen() throws {
        let file = try ConfigFile.parse("listen 127.0.0.1:1\nupstream 127.0.0.1:2\napi async\n", knownKeys: ProxySettings.configKeys)
        #expect(try ProxySettings.Builder(file: file).build().api == .async)
        var builder = ProxySettings.Builder(file: file)
        builder.value("api", "handler")
        #expect(try builder.build().api == .handler)
        builder.value("api", "threads")
        #expect(throws: ConfigError.self) { try builder.build() }
    }

    /// The per-IP table's IPv6 prefix and size: defaults, the file's keys, flags winning, ranges.
    @Test func perIPTableSettings() throws {
        var builder = ProxySettings.Builder(file: ConfigFile())
        builder.list("listen", ["127.0.0.1:0"])
        builder.list("upstream", ["127.0.0.1:1"])
        let defaults = try builder.build()
        #expect(defaults.limits.ipv6PrefixLength == 64)
        #expect(defaults.limits.ipTableSize == 100_000)
        let file = try ConfigFile.parse("listen 127.0.0.1:1\nupstream 127.0.0.1:2\nipv6-prefix-len 56\nip-table-size 5000\n",
                                        knownKeys: ProxySettings.configKeys)
        let fromFile = try ProxySettings.Builder(file: file).build()
        #expect(fromFile.limits.ipv6PrefixLength == 56)
        #expect(fromFile.limits.ipTableSize == 5000)
        var flags = ProxySettings.Builder(file: file)
        flags.value("ipv6-prefix-len", "128")
        flags.value("ip-table-size", "1")
        #expect(try flags.build().limits.ipv6PrefixLength == 128)
        #expect(try flags.build().limits.ipTableSize == 1)
        for bad in ["129", "-1", "x"] {
            flags.value("ipv6-prefix-len", bad)
            #expect(throws: ConfigError.self) { try flags.build() }
        }
        flags.value("ipv6-prefix-len", "64")
        flags.value("ip-table-size", "0")
        #expect(throws: ConfigError.self) { try flags.build() }
    }
}
