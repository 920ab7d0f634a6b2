import Foundation
import Glibc
import Testing
import TestSupport

/// The proxy process on bad settings: exit status 1 and one line naming the key and the source.
@Suite struct ConfigProcessTests {
    @Test func wrongTypeFlagExitsOneWithOneLine() async throws {
        let proxy = try ExampleProcess("ProxyExample", arguments: ["--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:1", "--max-conns", "abc"])
        #expect(try await proxy.waitForExit() == 1)
        #expect(proxy.lines == [#"Error: max-conns: "abc" is not a whole number >= 1 (flag --max-conns)"#], "\(proxy.printed)")
    }

    @Test func outOfRangeInAYAMLFileExitsOneWithOneLine() async throws {
        let file = try TempConfigFile("listen: 127.0.0.1:0\nupstream: 127.0.0.1:1\nipv6-prefix-len: 200\n", suffix: ".yaml")
        defer { file.remove() }
        let proxy = try ExampleProcess("ProxyExample", arguments: ["--config", file.path])
        #expect(try await proxy.waitForExit() == 1)
        #expect(proxy.lines == ["Error: ipv6-prefix-len: \"200\" is not a whole number from 0 to 128 (\(file.path):3)"], "\(proxy.printed)")
    }
}
