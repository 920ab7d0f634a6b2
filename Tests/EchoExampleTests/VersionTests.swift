import EventLoop
import Testing
import TestSupport

/// `--version` of both examples prints the library's version and exits 0.
@Suite struct VersionTests {
    @Test(arguments: ["EchoExample", "ProxyExample"])
    func versionFlagPrintsTheLibraryVersion(example: String) async throws {
        let process = try ExampleProcess(example, arguments: ["--version"])
        #expect(try await process.waitForExit(within: 20) == 0)
        #expect(process.printed.trimmingCharacters(in: .whitespacesAndNewlines) == EventLoopVersion.current.description,
                "\(process.printed)")
    }

    @Test func versionIsSemantic() {
        let version = EventLoopVersion.current
        #expect(version.description == "\(version.major).\(version.minor).\(version.patch)")
        #expect(EventLoopVersion(major: 0, minor: 1, patch: 0) < EventLoopVersion(major: 0, minor: 2, patch: 0))
        #expect(EventLoopVersion(major: 0, minor: 9, patch: 9) < EventLoopVersion(major: 1, minor: 0, patch: 0))
    }
}
