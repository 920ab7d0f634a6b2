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
    }
}
