import EventLoop
import EventLoopTesting
import Testing

/// Address text is parsed strictly and bad text gets an error that quotes it.
@Suite struct BadAddressTests {
    @Test(arguments: [
        "", "1.2.3.4", "1.2.3.4:", ":", ":99999", ":-1", "host", "[::1", "[::1]", "::1:80",
        "1.2.3.256:80", "unix:", "[]:80", "1.2.3.4:80x", "1.2.3.4: 80", "localhost:80",
        "[::1]80", "[zz::1]:80", "1.2.3:80", "[::1%nosuchif0]:80",
    ])
    func rejected(_ text: String) {
        #expect {
            _ = try SocketAddress(text)
        } throws: { error in
            guard let error = error as? NetError, case .invalidAddress(let quoted) = error.code else { return false }
            return quoted == text && error.description.contains("\"\(text)\"")
        }
    }

    @Test(arguments: [
        ("127.0.0.1:9000", "127.0.0.1:9000"),
        (":8080", "0.0.0.0:8080"),
        ("0.0.0.0:0", "0.0.0.0:0"),
        ("[::1]:9000", "[::1]:9000"),
        ("[::]:80", "[::]:80"),
        ("[2001:db8::1]:443", "[2001:db8::1]:443"),
        ("unix:/tmp/x.sock", "unix:/tmp/x.sock"),
        ("/tmp/y.sock", "unix:/tmp/y.sock"),
        ("255.255.255.255:65535", "255.255.255.255:65535"),
    ])
    func accepted(_ text: String, _ expected: String) throws {
        let address = try SocketAddress(text)
        #expect(address.description == expected)
        #expect(try SocketAddress(address.description) == address)
    }

    /// Found by `Scripts/fuzz.sh` (`/\0\0\u{A2}` parsed as a Unix path): a NUL byte anywhere is
    /// an error, not the end of the text, in every form of address.
    @Test(arguments: [
        "/\0\0\u{A2}", "unix:/tmp/a\0b", "127.0.0.1\0junk:80", "127.0.0.1:80\0", "[::1\0]:80",
        "[fe80::1%lo\0x]:80", "\0:80",
    ])
    func nulByteRejected(_ text: String) {
        #expect {
            _ = try SocketAddress(text)
        } throws: { error in
            guard let error = error as? NetError, case .invalidAddress(let quoted) = error.code else { return false }
            return quoted == text
        }
        #expect(throws: NetError.self) { _ = try SocketAddress.unix(path: "/tmp/a\0b") }
    }

    @Test func unixPathTooLong() {
        #expect(throws: NetError.self) { _ = try SocketAddress("unix:/" + String(repeating: "a", count: 200)) }
    }

    @Test func unknownNameFailsResolution() async {
        let error = await #expect(throws: NetError.self) { _ = try await SocketAddress.resolve("no-such-host.invalid:80") }
        if case .resolution = error?.code {} else { Issue.record("expected a resolution error, got \(String(describing: error))") }
    }

    @Test func listenOnBadTextThrows() async throws {
        try await withReactorGroup { group in
            await #expect(throws: NetError.self) { _ = try await Listener.listen("nonsense", group: group) }
        }
    }
}
