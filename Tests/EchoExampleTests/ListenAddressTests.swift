import TestSupport
import EventLoop
import EventLoopTesting
import Foundation
import Testing

/// `--listen` repeated, with a Unix path among the addresses.
@Suite struct ListenAddressTests {
    @Test(arguments: ["async", "handler"])
    func servesEveryAddress(api: String) async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("echo-\(UUID().uuidString.prefix(8)).sock").path
        let (server, port) = try await ExampleProcess.echoServer(["--api", api], listen: ["127.0.0.1:0", "unix:" + path])
        try await server.waitForOutput(containing: "unix:\(path)")
        try await withReactorGroup(timeout: 60) { group in
            let tcp = try await Dialer().dial(.loopbackIPv4(port: port), group: group)
            let local = try await Dialer().dial(try SocketAddress.unix(path: path), group: group)
            defer { tcp.close(); local.close() }
            #expect(try await tcp.exchange("over tcp") == "over tcp")
            #expect(try await local.exchange("over a unix socket") == "over a unix socket")
        }
        #expect(try await server.stop() == 0)
        #expect(!FileManager.default.fileExists(atPath: path), "the socket file is removed at shutdown")
    }
}
