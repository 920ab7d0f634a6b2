@testable import ProxyExample
import Testing

/// The config keys `accept-proxy`, `send-proxy` and `proxy-header-timeout`: defaults, file,
/// environment, flags, bad values.
@Suite struct ProxyProtocolSettingsTests {
    static let required = "listen 127.0.0.1:1\nupstream 127.0.0.1:2\n"

    @Test func defaultsAreOff() async throws {
        let settings = try await loadSettings(file: Self.required)
        #expect(!settings.acceptProxy)
        #expect(settings.sendProxy == nil)
        #expect(settings.proxyHeaderTimeout == .seconds(3))
    }

    @Test func keysFromEverySource() async throws {
        let file = Self.required + "accept-proxy true\nsend-proxy v2\nproxy-header-timeout 1.5\n"
        let fromFile = try await loadSettings(file: file)
        #expect(fromFile.acceptProxy && fromFile.sendProxy == .v2 && fromFile.proxyHeaderTimeout == .seconds(1.5))
        let yaml = "listen: 127.0.0.1:1\nupstream: 127.0.0.1:2\naccept-proxy: true\nsend-proxy: v1\n"
        let fromYAML = try await loadSettings(file: yaml, suffix: ".yaml")
        #expect(fromYAML.acceptProxy && fromYAML.sendProxy == .v1)
        let fromEnvironment = try await loadSettings(environment: ["PROXY_ACCEPT_PROXY": "true", "PROXY_SEND_PROXY": "v1"], file: Self.required)
        #expect(fromEnvironment.acceptProxy && fromEnvironment.sendProxy == .v1)
        let flagWins = try await loadSettings(flags: ["send-proxy": ["v1"]], file: file)
        #expect(flagWins.sendProxy == .v1)
    }

    @Test func badValuesNameTheKey() async throws {
        let badVersion = try await settingsError(flags: ["send-proxy": ["v3"]], file: Self.required)
        #expect(badVersion?.error.description == #"send-proxy: "v3" is not one of v1, v2 (flag --send-proxy)"#)
        let badBool = try await settingsError(file: Self.required + "accept-proxy maybe\n")
        #expect(badBool?.error.description.contains("accept-proxy") == true)
        let badTimeout = try await settingsError(flags: ["proxy-header-timeout": ["0"]], file: Self.required)
        #expect(badTimeout?.error.description.contains("proxy-header-timeout") == true)
    }
}
