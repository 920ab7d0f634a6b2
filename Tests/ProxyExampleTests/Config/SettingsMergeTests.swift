import Testing
@testable import ProxyExample

/// Flags over a `name value` config file (the original format, unchanged for existing users).
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

    @Test func fileAloneGivesItsSettings() async throws {
        let settings = try await loadSettings(file: fileText)
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

    @Test func flagsWinAndReplaceWholeLists() async throws {
        let flags: [String: [String]] = [
            "listen": ["127.0.0.1:7000"], "allow": ["172.16.0.0/12"], "balance": ["round-robin"], "max-conns": ["5"],
            "upstream": [],  // not given: the file's list stays
        ]
        let settings = try await loadSettings(flags: flags, file: fileText)
        #expect(settings.listen == ["127.0.0.1:7000"])
        #expect(settings.upstreams == ["127.0.0.1:9000", "127.0.0.1:9001"])
        #expect(settings.limits.allow == [try CIDR("172.16.0.0/12")])
        #expect(settings.limits.deny == [try CIDR("10.6.0.0/16")])
        #expect(settings.balance == .roundRobin)
        #expect(settings.limits.maxConns == 5)
        #expect(settings.limits.ratePerIP == 20)
        #expect(settings.threads == nil)
    }

    @Test func badValuesFromTheFileAreReportedWithTheirLine() async throws {
        let file = "listen 127.0.0.1:1\nupstream 127.0.0.1:2\nallow 10.0.0.0/8\nallow 10.0.0.0/99\n"
        let bad = try #require(try await settingsError(file: file))
        #expect(bad.error.description.hasPrefix("allow: "))
        #expect(bad.error.description.hasSuffix("(\(bad.path ?? ""):4)"), "\(bad.error)")
        #expect(try await loadSettings(flags: ["allow": ["10.0.0.0/8"]], file: file).limits.allow == [try CIDR("10.0.0.0/8")])
    }

    @Test func singleValuedSettingGivenTwiceIsAnError() async throws {
        let file = "listen 127.0.0.1:1\nupstream 127.0.0.1:2\nthreads 2\nthreads 3\n"
        let bad = try #require(try await settingsError(file: file))
        #expect(bad.error.description == "threads: given 2 times; it takes one value (\(bad.path ?? ""):3)")
        #expect(try await loadSettings(flags: ["threads": ["4"]], file: file).threads == 4)
    }

    @Test func parseErrorsNameTheFileAndLine() async throws {
        let bad = try #require(try await settingsError(file: "listen 127.0.0.1:1\nupstream 127.0.0.1:2\nmax-conn 5\n"))
        #expect(bad.error.description == #"unknown setting "max-conn" in "max-conn 5" ("# + (bad.path ?? "") + ":3)")
    }
}
