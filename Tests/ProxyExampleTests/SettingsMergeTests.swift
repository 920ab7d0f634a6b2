import Testing
@testable import ProxyExample

@Suite struct SettingsMergeTests {
    let fileText = """
        listen 127.0.0.1:8000
        listen [::1]:8000
        upstream 127.0.0.1:9000
        upstream 127.0.0.1:9001
        balance least-conn
        connect-timeout 1.5
        max-conns 100
        rate-per-ip 20
        allow 10.0.0.0/8
        allow 192.168.0.0/16
        deny 10.6.0.0/16
        """

    func file() throws -> ConfigFile { try ConfigFile.parse(fileText, knownKeys: ProxySettings.configKeys) }

    @Test func fileAloneGivesItsSettings() throws {
        let settings = try ProxySettings.Builder(file: file()).build()
        #expect(settings.listen == ["127.0.0.1:8000", "[::1]:8000"])
        #expect(settings.upstreams == ["127.0.0.1:9000", "127.0.0.1:9001"])
        #expect(settings.balance == .leastConn)
        #expect(settings.connectTimeout == .seconds(1.5))
        #expect(settings.limits.maxConns == 100)
        #expect(settings.limits.ratePerIP == 20)
        #expect(settings.limits.allow == [try CIDR("10.0.0.0/8"), try CIDR("192.168.0.0/16")])
        #expect(settings.limits.deny == [try CIDR("10.6.0.0/16")])
        #expect(settings.idleTimeout == .seconds(300))
    }

    @Test func flagsWinAndReplaceWholeLists() throws {
        var builder = ProxySettings.Builder(file: try file())
        builder.list("listen", ["127.0.0.1:7000"])
        builder.list("allow", ["172.16.0.0/12"])
        builder.value("balance", "round-robin")
        builder.value("max-conns", "5")
        builder.list("upstream", [])  // not given: the file's list stays
        builder.value("threads", nil)
        let settings = try builder.build()
        #expect(settings.listen == ["127.0.0.1:7000"])
        #expect(settings.upstreams == ["127.0.0.1:9000", "127.0.0.1:9001"])
        #expect(settings.limits.allow == [try CIDR("172.16.0.0/12")])
        #expect(settings.limits.deny == [try CIDR("10.6.0.0/16")])
        #expect(settings.balance == .roundRobin)
        #expect(settings.limits.maxConns == 5)
        #expect(settings.limits.ratePerIP == 20)
        #expect(settings.threads == nil)
    }

    @Test func badValuesFromTheFileAreReported() throws {
        let file = try ConfigFile.parse("listen 127.0.0.1:1\nupstream 127.0.0.1:2\nallow 10.0.0.0/99\n",
                                        knownKeys: ProxySettings.configKeys)
        #expect(throws: ConfigError.self) { try ProxySettings.Builder(file: file).build() }
        var builder = ProxySettings.Builder(file: file)
        builder.list("allow", ["10.0.0.0/8"])
        #expect(try builder.build().limits.allow == [try CIDR("10.0.0.0/8")])
    }

    @Test func singleValuedSettingGivenTwiceIsAnError() throws {
        let file = try ConfigFile.parse("listen 127.0.0.1:1\nupstream 127.0.0.1:2\nthreads 2\nthreads 3\n",
                                        knownKeys: ProxySettings.configKeys)
        #expect(throws: ConfigError.self) { try ProxySettings.Builder(file: file).build() }
        var builder = ProxySettings.Builder(file: file)
        builder.value("threads", "4")
        #expect(try builder.build().threads == 4)
    }
}
