import EventLoop
import Testing
@testable import ProxyExample

/// `tcp-keepalive` and `tcp-user-timeout`: off by default, from the file or the flags (flags
/// win), converted to the library's ``TCPOptions``, and bad values named with their source.
@Suite struct TCPOptionSettingsTests {
    @Test func offByDefault() async throws {
        let settings = try await loadSettings(flags: requiredFlags)
        #expect(settings.tcpOptions == TCPOptions())
        #expect(settings.tcpOptions.summary == "tcp-keepalive off, tcp-user-timeout off")
    }

    @Test func fromTheFileAndTheFlags() async throws {
        let file = "listen 127.0.0.1:1\nupstream 127.0.0.1:2\ntcp-keepalive 30\ntcp-user-timeout 2.5\n"
        let fromFile = try await loadSettings(file: file).tcpOptions
        #expect(fromFile.keepAlive == (try KeepAlive(idle: .seconds(30), interval: .seconds(10), count: 3)))
        #expect(fromFile.userTimeout == .milliseconds(2500))
        #expect(fromFile.summary == "tcp-keepalive 30s/10s x3, tcp-user-timeout 2.5s")
        // Probes every third of the idle time, at least every second; 0 turns either off.
        let flags = try await loadSettings(flags: ["tcp-keepalive": ["2"], "tcp-user-timeout": ["0"]], file: file).tcpOptions
        #expect(flags.keepAlive == (try KeepAlive(idle: .seconds(2), interval: .seconds(1), count: 3)))
        #expect(flags.userTimeout == nil)
        let off = try await loadSettings(flags: ["tcp-keepalive": ["0"]], file: file).tcpOptions
        #expect(off.keepAlive == nil)
    }

    @Test func badValuesAreNamed() async throws {
        let negative = try await settingsError(flags: requiredFlags.merging(["tcp-keepalive": ["-1"]]) { $1 })
        #expect(negative?.error.description == #"tcp-keepalive: "-1" is not a whole number from 0 to 32767 (flag --tcp-keepalive)"#)
        let fraction = try await settingsError(flags: requiredFlags.merging(["tcp-keepalive": ["1.5"]]) { $1 })
        #expect(fraction?.error.description.hasPrefix("tcp-keepalive: ") == true)
        let tiny = try await settingsError(flags: requiredFlags.merging(["tcp-user-timeout": ["0.0001"]]) { $1 })
        #expect(tiny?.error.description.hasPrefix("tcp-user-timeout: setsockopt: invalid TCP_USER_TIMEOUT") == true)
        let file = "listen 127.0.0.1:1\nupstream 127.0.0.1:2\ntcp-user-timeout -2\n"
        let inFile = try await settingsError(file: file)
        #expect(inFile?.error.description.hasPrefix(#"tcp-user-timeout: "-2" is not a number >= 0.0"#) == true)
    }
}
