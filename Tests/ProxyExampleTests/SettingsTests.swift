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
}
