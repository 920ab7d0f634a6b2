import Testing
@testable import ProxyExample

/// The sources of the settings through one configuration reader: precedence (flag >
/// environment > file > default), JSON and YAML files, and errors naming key and source.
@Suite struct ConfigSourcesTests {
    let base = "listen 127.0.0.1:1\nupstream 127.0.0.1:2\n"

    @Test func eachSourceBeatsTheNext() async throws {
        let file = base + "max-conns 1\nconnect-timeout 1.5\n"
        let environment = ["PROXY_MAX_CONNS": "2", "PROXY_CONNECT_TIMEOUT": "2.5"]
        let flags = ["max-conns": ["3"], "connect-timeout": ["3.5"]]
        // Flag beats environment.
        let all = try await loadSettings(flags: flags, environment: environment, file: file)
        #expect(all.limits.maxConns == 3)
        #expect(all.connectTimeout == .seconds(3.5))
        // Environment beats file.
        let noFlags = try await loadSettings(environment: environment, file: file)
        #expect(noFlags.limits.maxConns == 2)
        #expect(noFlags.connectTimeout == .seconds(2.5))
        // File beats default.
        let fileOnly = try await loadSettings(file: file)
        #expect(fileOnly.limits.maxConns == 1)
        #expect(fileOnly.connectTimeout == .seconds(1.5))
        // Default last.
        let none = try await loadSettings(file: base)
        #expect(none.limits.maxConns == nil)
        #expect(none.connectTimeout == .seconds(3))
    }

    /// A list comes whole from the first source that has it (no merging of lists).
    @Test func listsComeWholeFromOneSource() async throws {
        let file = base + "allow 10.0.0.0/8\nallow 10.1.0.0/16\n"
        let environment = ["PROXY_ALLOW": "172.16.0.0/12,192.168.0.0/16", "PROXY_LISTEN": "127.0.0.1:5"]
        let fromEnvironment = try await loadSettings(environment: environment, file: file)
        #expect(fromEnvironment.limits.allow == [try CIDR("172.16.0.0/12"), try CIDR("192.168.0.0/16")])
        #expect(fromEnvironment.listen == ["127.0.0.1:5"])
        #expect(fromEnvironment.upstreams == ["127.0.0.1:2"])
        let fromFlags = try await loadSettings(flags: ["allow": ["10.9.0.0/16"]], environment: environment, file: file)
        #expect(fromFlags.limits.allow == [try CIDR("10.9.0.0/16")])
    }

    @Test func jsonFile() async throws {
        let json = """
            {
              "listen": ["127.0.0.1:8000", "[::1]:8000"],
              "upstream": "127.0.0.1:9000",
              "balance": "least-conn",
              "max-conns": 100,
              "connect-timeout": 1.5,
              "idle-timeout": 0,
              "deny": ["10.6.0.0/16"]
            }
            """
        let settings = try await loadSettings(file: json, suffix: ".json")
        #expect(settings.listen == ["127.0.0.1:8000", "[::1]:8000"])
        #expect(settings.upstreams == ["127.0.0.1:9000"])
        #expect(settings.balance == .leastConn)
        #expect(settings.limits.maxConns == 100)
        #expect(settings.connectTimeout == .seconds(1.5))
        #expect(settings.idleTimeout == nil)
        #expect(settings.limits.deny == [try CIDR("10.6.0.0/16")])
        #expect(try await loadSettings(flags: ["max-conns": ["7"]], file: json, suffix: ".json").limits.maxConns == 7)
    }

    @Test func yamlFile() async throws {
        let yaml = """
            # the proxy
            listen:
              - 127.0.0.1:8000
              - "[::1]:8000"
            upstream: 127.0.0.1:9000
            balance: least-conn
            max-conns-per-ip: 50
            rate-per-ip: 20
            log-level: debug
            """
        for suffix in [".yaml", ".yml"] {
            let settings = try await loadSettings(file: yaml, suffix: suffix)
            #expect(settings.listen == ["127.0.0.1:8000", "[::1]:8000"])
            #expect(settings.upstreams == ["127.0.0.1:9000"])
            #expect(settings.balance == .leastConn)
            #expect(settings.limits.maxConnsPerIP == 50)
            #expect(settings.limits.ratePerIP == 20)
            #expect(settings.logLevel == .debug)
        }
        #expect(try await loadSettings(environment: ["PROXY_RATE_PER_IP": "5"], file: yaml, suffix: ".yaml").limits.ratePerIP == 5)
    }

    /// A value of the wrong type names its key and its source, in each source.
    @Test func wrongTypeNamesKeyAndSource() async throws {
        let flag = try #require(try await settingsError(flags: requiredFlags.merging(["max-conns": ["abc"]]) { $1 }))
        #expect(flag.error.description == #"max-conns: "abc" is not a whole number >= 1 (flag --max-conns)"#)

        let environment = try #require(try await settingsError(flags: requiredFlags, environment: ["PROXY_MAX_CONNS": "abc"]))
        #expect(environment.error.description == #"max-conns: "abc" is not a whole number >= 1 (environment variable PROXY_MAX_CONNS)"#)

        let legacy = try #require(try await settingsError(file: base + "\nmax-conns abc\n"))
        #expect(legacy.error.description == #"max-conns: "abc" is not a whole number >= 1 ("# + "\(legacy.path ?? ""):4)")

        let json = try #require(try await settingsError(file: #"{"listen": ["127.0.0.1:1"], "upstream": ["127.0.0.1:2"],\#n "max-conns": "abc"}"#, suffix: ".json"))
        #expect(json.error.description == #"max-conns: "abc" is not a whole number >= 1 ("# + "\(json.path ?? ""):2)")

        let yaml = try #require(try await settingsError(file: "listen: 127.0.0.1:1\nupstream: 127.0.0.1:2\nmax-conns: [1, 2]\n", suffix: ".yaml"))
        #expect(yaml.error.description == "max-conns: the value is not a whole number >= 1 (\(yaml.path ?? ""):3)")
    }

    /// Out of range, with the same naming; and each error is one line.
    @Test func outOfRangeNamesKeyAndSource() async throws {
        let environment = try #require(try await settingsError(flags: requiredFlags, environment: ["PROXY_IPV6_PREFIX_LEN": "129"]))
        #expect(environment.error.description == #"ipv6-prefix-len: "129" is not a whole number from 0 to 128 (environment variable PROXY_IPV6_PREFIX_LEN)"#)
        let yaml = try #require(try await settingsError(file: "listen: 127.0.0.1:1\nupstream: 127.0.0.1:2\n\ndrain-timeout: -1\n", suffix: ".yaml"))
        #expect(yaml.error.description == #"drain-timeout: "-1" is not a number >= 0.0 ("# + "\(yaml.path ?? ""):4)")
        let multiline = try #require(try await settingsError(flags: requiredFlags.merging(["balance": ["a\nb"]]) { $1 }))
        #expect(!multiline.error.description.contains("\n"))
    }

    /// An unknown key in a file is an error naming it and its line, in every format.
    @Test func unknownKeyInAFileIsAnError() async throws {
        let legacy = try #require(try await settingsError(file: base + "lsten 127.0.0.1:3\n"))
        #expect(legacy.error.description.hasPrefix(#"unknown setting "lsten""#))
        #expect(legacy.error.description.hasSuffix("(\(legacy.path ?? ""):3)"))
        let json = try #require(try await settingsError(file: "{\n\"listen\": [\"127.0.0.1:1\"],\n\"upstream\": [\"127.0.0.1:2\"],\n\"max_conns\": 5\n}", suffix: ".json"))
        #expect(json.error.description == #"unknown setting "max_conns" ("# + "\(json.path ?? ""):4)")
        let yaml = try #require(try await settingsError(file: "listen: 127.0.0.1:1\nupstream: 127.0.0.1:2\nlimits:\n  max-conns: 5\n", suffix: ".yaml"))
        #expect(yaml.error.description == #"unknown setting "limits.max-conns" ("# + "\(yaml.path ?? ""):4)")
    }

    /// Every format is read by the library's reloading file provider (ready to be run as a
    /// service that picks up changes), and the settings can be read from it again.
    @Test func theFileIsReadByAReloadingProvider() async throws {
        let files = [(base, ".conf"), (#"{"listen": "127.0.0.1:1", "upstream": ["127.0.0.1:2"]}"#, ".json"), ("listen: 127.0.0.1:1\nupstream: 127.0.0.1:2\n", ".yml")]
        for (text, suffix) in files {
            let file = try TempConfigFile(text, suffix: suffix)
            defer { file.remove() }
            let loader = try await SettingsLoader.make(flags: [:], environment: [:], configPath: file.path)
            let provider = try #require(loader.fileProvider)
            #expect(String(describing: type(of: provider)).hasPrefix("ReloadingFileProvider<"))
            for _ in 0..<2 {
                let settings = try await loader.settings()
                #expect(settings.listen == ["127.0.0.1:1"] && settings.upstreams == ["127.0.0.1:2"], "\(suffix)")
            }
        }
    }

    @Test func unreadableFileIsNamed() async throws {
        let path = "/nonexistent-eventloop-proxy.conf"
        await #expect(throws: SettingError.self) {
            _ = try await SettingsLoader.make(flags: requiredFlags, environment: [:], configPath: path)
        }
    }

    /// A secret setting's value is never quoted in an error.
    @Test func secretValuesAreNotQuoted() async throws {
        let bad = try #require(try await settingsError(
            flags: requiredFlags, environment: ["PROXY_BALANCE": "hunter2"], secret: ["balance"]))
        #expect(!bad.error.description.contains("hunter2"))
        #expect(bad.error.description == "balance: a secret value is not one of round-robin, least-conn (environment variable PROXY_BALANCE)")
    }
}
