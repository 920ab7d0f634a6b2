import Testing
@testable import ExampleSupport
@testable import ProxyExample

/// The `--health-*` and `--log-format` settings, the C escapes, the JSON log line.
@Suite struct HealthSettingsTests {
    @Test func defaultsAreOff() async throws {
        let settings = try await loadSettings(flags: requiredFlags)
        #expect(settings.health == HealthCheckSettings())
        #expect(!settings.health.isEnabled)
        #expect(settings.health.fall == 3 && settings.health.rise == 2)
        #expect(settings.logFormat == .text)
    }

    @Test func configKeysAndFlags() async throws {
        let file = """
            listen 127.0.0.1:1
            upstream 127.0.0.1:2
            health-interval 0.5
            health-send PING\\r\\n
            health-expect +PONG
            health-fall 4
            health-rise 1
            log-format json
            """
        let settings = try await loadSettings(file: file)
        #expect(settings.health.interval == 0.5)
        #expect(settings.health.send == Array("PING\r\n".utf8))
        #expect(settings.health.expect == Array("+PONG".utf8))
        #expect(settings.health.fall == 4 && settings.health.rise == 1)
        #expect(settings.health.probeTimeout == .milliseconds(500))
        #expect(settings.logFormat == .json)
        let flagged = try await loadSettings(flags: ["health-interval": ["10"], "health-send": [""]], file: file)
        #expect(flagged.health.interval == 10 && flagged.health.send.isEmpty)
        #expect(flagged.health.probeTimeout == .seconds(2))
        let timed = try await loadSettings(flags: ["health-timeout": ["4.5"]], file: file)
        #expect(timed.health.timeout == 4.5 && timed.health.probeTimeout == .milliseconds(4500))
        let zero = try await settingsError(flags: requiredFlags.merging(["health-timeout": ["0"]]) { $1 })
        #expect(zero?.error.description.contains("health-timeout") == true)
    }

    @Test func badValuesAreNamed() async throws {
        let escape = try await settingsError(flags: requiredFlags.merging(["health-send": ["A\\q"]]) { $1 })
        #expect(escape?.error.description.contains("health-send") == true)
        #expect(escape?.error.description.contains("unknown escape \\q") == true)
        let fall = try await settingsError(flags: requiredFlags.merging(["health-fall": ["0"]]) { $1 })
        #expect(fall?.error.description.contains("health-fall") == true)
        let interval = try await settingsError(flags: requiredFlags.merging(["health-interval": ["-1"]]) { $1 })
        #expect(interval?.error.description.contains("health-interval") == true)
        let format = try await settingsError(flags: requiredFlags.merging(["log-format": ["xml"]]) { $1 })
        #expect(format?.error.description.contains("text, json") == true)
    }

    @Test func cEscapes() throws {
        #expect(try CEscapes.decode(#"a\r\n\t\0\\\"\x41\x7f"#) == [0x61, 0x0D, 0x0A, 0x09, 0, 0x5C, 0x22, 0x41, 0x7F])
        #expect(try CEscapes.decode("plain é") == Array("plain é".utf8))
        #expect(throws: CEscapes.EscapeError.self) { try CEscapes.decode(#"\x4"#) }
        #expect(throws: CEscapes.EscapeError.self) { try CEscapes.decode("end\\") }
        #expect(HealthProbe.quoted([0x4E, 0x4F, 0x0D, 0x0A, 0x01]) == #""NO\r\n\x01""#)
    }

    @Test func jsonLogLine() {
        let line = JSONLogLine.render(level: .info, message: "say \"hi\"\n", metadata: ["b": "2", "a": "x\u{1}"], error: nil)
        #expect(line == #"{"level":"info","message":"say \"hi\"\n","metadata":{"a":"x\u0001","b":"2"}}"#)
    }
}
