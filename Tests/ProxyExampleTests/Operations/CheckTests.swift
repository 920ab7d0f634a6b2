import EventLoop
import EventLoopTesting
import Foundation
import Glibc
import Testing
import TestSupport

/// `ProxyExample --check`: every error as FILE:LINE: reason and exit 1, or `configuration OK`
/// and exit 0, without opening a socket.
@Suite struct CheckTests {
    @Test func validFileIsOKWithoutOpeningSockets() async throws {
        try await withReactorGroup(timeout: 60) { group in
            // The address is taken: a check that bound it would fail.
            let taken = try await Listener.listen(.loopbackIPv4(), group: group, reusePort: false)
            defer { taken.close() }
            let port = taken.address.port ?? 0
            let file = try TempConfigFile("listen: 127.0.0.1:\(port)\nupstream: [127.0.0.1:1, upstream.example:6379]\nallow: 10.0.0.0/8\n", suffix: ".yaml")
            defer { file.remove() }
            let check = try ExampleProcess("ProxyExample", arguments: ["--check", "--config", file.path])
            #expect(try await check.waitForExit() == 0)
            #expect(check.lines == ["configuration OK"], "\(check.printed)")
        }
    }

    @Test func flagsAloneAreChecked() async throws {
        let good = try ExampleProcess("ProxyExample", arguments: ["--check", "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:1"])
        #expect(try await good.waitForExit() == 0)
        #expect(good.lines == ["configuration OK"], "\(good.printed)")
        let bad = try ExampleProcess("ProxyExample", arguments: ["--check", "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:1", "--threads", "0"])
        #expect(try await bad.waitForExit() == 1)
        #expect(bad.lines == [#"flag --threads: "0" is not a whole number >= 1"#], "\(bad.printed)")
    }

    @Test func everyBadValueIsReportedWithFileAndLine() async throws {
        let file = try TempConfigFile("listen 127.0.0.1:0\nupstream 127.0.0.1:1\nupstream 127.0.0.1:1\nallow 10.0.0.0/33\nmax-conns x\n")
        defer { file.remove() }
        let check = try ExampleProcess("ProxyExample", arguments: ["--check", "--config", file.path])
        #expect(try await check.waitForExit() == 1)
        let lines = check.lines.map(String.init)
        #expect(lines.count == 3, "\(check.printed)")
        #expect(lines.contains { $0.hasPrefix("\(file.path):2: upstream: \"127.0.0.1:1\" is given more than once") }, "\(check.printed)")
        #expect(lines.contains { $0.hasPrefix("\(file.path):4: allow: \"10.0.0.0/33\" is not a network") }, "\(check.printed)")
        #expect(lines.contains { $0.hasPrefix("\(file.path):5: max-conns: \"x\" is not a whole number >= 1") }, "\(check.printed)")
    }

    @Test(arguments: 0..<4) func badFilesOfTheContract(_ index: Int) async throws {
        let bad = ReloadTests.badFiles[index]
        let file = try TempConfigFile(bad.text(1) ?? "")
        if bad.text(1) == nil { file.remove() }
        defer { file.remove() }
        let check = try ExampleProcess("ProxyExample", arguments: ["--check", "--config", file.path])
        #expect(try await check.waitForExit() == 1)
        #expect(check.lines.count == 1, "\(bad.name): \(check.printed)")
        #expect(check.printed.hasPrefix(file.path + bad.expected) || check.printed.hasPrefix(file.path + ":"), "\(bad.name): \(check.printed)")
        #expect(check.printed.contains(bad.expected), "\(bad.name): \(check.printed)")
    }
}
