import Testing
@testable import ProxyExample

@Suite struct ConfigFileTests {
    let keys = ProxySettings.configKeys

    @Test func bothFormsCommentsAndBlankLines() throws {
        let text = """
            # the proxy
            listen 127.0.0.1:8080

              listen = [::1]:8080   # second address
            upstream=10.0.0.1:6379
            max-conns\t100
            \t# indented comment
            """
        let file = try ConfigFile.parse(text, knownKeys: keys)
        #expect(file.values("listen") == ["127.0.0.1:8080", "[::1]:8080"])
        #expect(file.values("upstream") == ["10.0.0.1:6379"])
        #expect(file.values("max-conns") == ["100"])
        #expect(file.entries.map(\.line) == [2, 4, 5, 6])
    }

    @Test func hashInsideAValueIsKept() throws {
        let file = try ConfigFile.parse("metrics-listen a#b # comment\n", knownKeys: keys)
        #expect(file.values("metrics-listen") == ["a#b"])
    }

    @Test func quotedValues() throws {
        let text = #"""
            log-level "debug"   # comment after the quote
            listen = "a # b"
            upstream "say \"hi\" \\ there"
            deny ""
            """#
        let file = try ConfigFile.parse(text, knownKeys: keys)
        #expect(file.values("log-level") == ["debug"])
        #expect(file.values("listen") == ["a # b"])
        #expect(file.values("upstream") == [#"say "hi" \ there"#])
        #expect(file.values("deny") == [""])
    }

    @Test func crlfAndByteOrderMark() throws {
        let file = try ConfigFile.parse("\u{FEFF}listen 1.2.3.4:5\r\nthreads 2\r\n", knownKeys: keys)
        #expect(file.values("listen") == ["1.2.3.4:5"])
        #expect(file.values("threads") == ["2"])
    }

    @Test func emptyTextIsEmpty() throws {
        #expect(try ConfigFile.parse("", knownKeys: keys).entries.isEmpty)
        #expect(try ConfigFile.parse("\n\n  \n# x\n", knownKeys: keys).entries.isEmpty)
    }

    @Test(arguments: [
        ("listen 1.2.3.4:5\nlsten 1.2.3.4:5\n", 2, "unknown setting \"lsten\""),
        ("\n\nthreads\n", 3, "threads has no value"),
        ("threads =\n", 1, "threads has no value"),
        ("threads   # nothing\n", 1, "threads has no value"),
        ("= 3\n", 1, "missing setting name"),
        ("listen \"open\n", 1, "missing closing quote"),
        ("listen \"a\" b\n", 1, "text after the closing quote"),
        ("listen \"a\\n\"\n", 1, "unknown escape"),
        ("listen a\u{01}b\n", 1, "control character"),
        ("--listen 1.2.3.4:5\n", 1, "unknown setting"),
    ])
    func errorsNameTheLineAndQuoteIt(text: String, line: Int, fragment: String) {
        do {
            _ = try ConfigFile.parse(text, knownKeys: keys)
            Issue.record("no error for \(text.debugDescription)")
        } catch {
            #expect(error.line == line)
            #expect(error.message.contains(fragment), "\(error)")
            #expect(error.description.hasPrefix("line \(line): "))
        }
    }

    @Test func errorQuotesAreTruncated() {
        let long = "listen \"" + String(repeating: "x", count: 10_000)
        do {
            _ = try ConfigFile.parse(long, knownKeys: keys)
            Issue.record("no error")
        } catch {
            #expect(error.message.count < 200)
            #expect(error.message.contains("…"))
        }
    }

    @Test func hostileInputNeitherCrashesNorBlowsUp() throws {
        // Pseudo-random bytes, long lines and many quotes or hashes: each parse must end
        // (linear time) with entries or a ConfigError, never a trap.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }
        let alphabet = Array("listen upstream=#\"\\ \t\r\n\u{0}x:1.[]".utf8) + [0xFF, 0xC3, 0x80]
        for round in 0..<300 {
            let count = Int(next() % 2000)
            let bytes = (0..<count).map { _ in
                round % 3 == 0 ? UInt8(truncatingIfNeeded: next()) : alphabet[Int(next() % UInt64(alphabet.count))]
            }
            _ = try? ConfigFile.parse(String(decoding: bytes, as: UTF8.self), knownKeys: keys)
        }
        // One 1 MB line of quotes and hashes: `"…"` pairs, then a comment after a closing quote.
        let huge = String(repeating: "listen \"" + String(repeating: "#", count: 1000), count: 1000)
        #expect(try ConfigFile.parse(huge, knownKeys: keys).entries.count == 1)
        let unterminated = "listen \"" + String(repeating: "\\\"", count: 300_000)
        #expect(throws: ConfigError.self) { try ConfigFile.parse(unterminated, knownKeys: keys) }
        let manyLines = String(repeating: "listen 1.2.3.4:5 # c\n", count: 50_000)
        #expect(try ConfigFile.parse(manyLines, knownKeys: keys).entries.count == 50_000)
    }
}
