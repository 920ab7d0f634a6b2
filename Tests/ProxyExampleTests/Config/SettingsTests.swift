import Testing
@testable import ProxyExample

@Suite struct SettingsTests {
    @Test func listenAndUpstreamAreRequired() async throws {
        let noListen = try await settingsError(flags: ["upstream": ["127.0.0.1:1"]])
        #expect(noListen?.error.description.contains("no listen address") == true)
        let noUpstream = try await settingsError(flags: ["listen": ["127.0.0.1:0"]])
        #expect(noUpstream?.error.description.contains("no upstream") == true)
    }

    @Test func defaultsApply() async throws {
        let settings = try await loadSettings(flags: requiredFlags)
        #expect(settings.connectTimeout == .seconds(3))
        #expect(settings.idleTimeout == .seconds(300))
        #expect(settings.drainTimeout == .seconds(5))
        #expect(settings.splice == .auto)
        #expect(settings.balance == .roundRobin)
        #expect(settings.api == .handler)
        #expect(settings.threads == nil)
        #expect(settings.limits.maxConns == nil)
    }

    /// `--api` (or `api` in the file) picks the level clients are served at; a bad one is named.
    @Test func apiLevelIsChosen() async throws {
        let file = "listen 127.0.0.1:1\nupstream 127.0.0.1:2\napi async\n"
        #expect(try await loadSettings(file: file).api == .async)
        #expect(try await loadSettings(flags: ["api": ["handler"]], file: file).api == .handler)
        let bad = try await settingsError(flags: ["api": ["threads"]], file: file)
        #expect(bad?.error.description == #"api: "threads" is not one of handler, async (flag --api)"#)
    }

    /// The per-IP table's IPv6 prefix and size: defaults, the file's keys, flags winning, ranges.
    @Test func perIPTableSettings() async throws {
        let defaults = try await loadSettings(flags: requiredFlags)
        #expect(defaults.limits.ipv6PrefixLength == 64)
        #expect(defaults.limits.ipTableSize == 100_000)
        let file = "listen 127.0.0.1:1\nupstream 127.0.0.1:2\nipv6-prefix-len 56\nip-table-size 5000\n"
        let fromFile = try await loadSettings(file: file)
        #expect(fromFile.limits.ipv6PrefixLength == 56)
        #expect(fromFile.limits.ipTableSize == 5000)
        let flags = try await loadSettings(flags: ["ipv6-prefix-len": ["128"], "ip-table-size": ["1"]], file: file)
        #expect(flags.limits.ipv6PrefixLength == 128)
        #expect(flags.limits.ipTableSize == 1)
        for bad in ["129", "-1", "x"] {
            let error = try await settingsError(flags: ["ipv6-prefix-len": [bad]], file: file)
            #expect(error?.error.description == "ipv6-prefix-len: \"\(bad)\" is not a whole number from 0 to 128 (flag --ipv6-prefix-len)")
        }
        let zero = try await settingsError(flags: ["ip-table-size": ["0"]], file: file)
        #expect(zero?.error.description == #"ip-table-size: "0" is not a whole number >= 1 (flag --ip-table-size)"#)
    }

    @Test func environmentNamesAreUpperSnakeCase() {
        #expect(SettingKeys.environmentName("max-conns-per-ip") == "PROXY_MAX_CONNS_PER_IP")
        #expect(SettingKeys.environmentName("ipv6-prefix-len") == "PROXY_IPV6_PREFIX_LEN")
        #expect(SettingKeys.environmentName("listen") == "PROXY_LISTEN")
    }
}
