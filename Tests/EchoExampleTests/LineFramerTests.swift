@testable import EchoExample
import Testing

/// The line splitter on its own: terminators, chunk boundaries, the length limit.
@Suite struct LineFramerTests {
    /// Feeds `chunks` and then the end of stream; returns the lines and the last status.
    func frame(_ chunks: [String], maxLine: Int = 64, finish: Bool = true) -> (lines: [String], status: LineFramer.Status) {
        var framer = LineFramer(maxLineLength: maxLine)
        var lines: [String] = []
        var status = LineFramer.Status.ok
        let collect = { (line: UnsafeRawBufferPointer) in lines.append(String(decoding: line, as: UTF8.self)) }
        for chunk in chunks {
            status = Array(chunk.utf8).withUnsafeBytes { framer.feed($0, onLine: collect) }
            if status == .lineTooLong { return (lines, status) }
        }
        if finish { status = framer.finish(onLine: collect) }
        return (lines, status)
    }

    @Test func splitsOnLFAndCRLF() {
        let result = frame(["one\ntwo\r\nthree\n"])
        #expect(result.lines == ["one", "two", "three"])
        #expect(result.status == .ok)
    }

    @Test func keepsEmptyLines() {
        #expect(frame(["\n\r\n\n"]).lines == ["", "", ""])
    }

    @Test func joinsLinesAcrossChunks() {
        #expect(frame(["he", "llo\r", "\nwor", "ld\n"]).lines == ["hello", "world"])
    }

    @Test func answersAFinalLineWithoutNewlineAtTheEnd() {
        #expect(frame(["a\nlast"]).lines == ["a", "last"])
        #expect(frame(["a\nlast\r"]).lines == ["a", "last"])
        #expect(frame(["a\nlast"], finish: false).lines == ["a"])
        #expect(frame(["a\n"]).lines == ["a"], "nothing pending: no extra empty line")
    }

    @Test func acceptsALineOfExactlyTheLimit() {
        let line = String(repeating: "x", count: 8)
        #expect(frame([line + "\n", line + "\r\n"], maxLine: 8).lines == [line, line])
        // The limit's worth of bytes and a CR still waiting for its LF is not too long yet.
        #expect(frame([line + "\r", "\n"], maxLine: 8).lines == [line])
        #expect(frame([line], maxLine: 8).lines == [line])
    }

    @Test func rejectsALongerLineBeforeItsNewlineArrives() {
        let result = frame(["ok\n" + String(repeating: "x", count: 9)], maxLine: 8, finish: false)
        #expect(result.lines == ["ok"])
        #expect(result.status == .lineTooLong)
        #expect(frame([String(repeating: "x", count: 8) + "\r\r"], maxLine: 8, finish: false).status == .lineTooLong)
    }

    @Test func rejectsALongerLineSpreadOverChunks() {
        let result = frame(["abcd", "efgh", "i\nnext\n"], maxLine: 8)
        #expect(result.lines.isEmpty)
        #expect(result.status == .lineTooLong)
    }

    @Test func passesTheLinesBeforeATooLongOneAndNothingAfter() {
        var framer = LineFramer(maxLineLength: 4)
        var lines: [String] = []
        let status = Array("a\nbb\ntoo long\nc\n".utf8).withUnsafeBytes { bytes in
            framer.feed(bytes) { lines.append(String(decoding: $0, as: UTF8.self)) }
        }
        #expect(status == .lineTooLong)
        #expect(lines == ["a", "bb"])
        #expect(framer.failed)
        let later = Array("d\n".utf8).withUnsafeBytes { bytes in framer.feed(bytes) { lines.append(String(decoding: $0, as: UTF8.self)) } }
        #expect(later == .lineTooLong)
        #expect(lines == ["a", "bb"])
    }

    @Test func aFinalLineOfTheLimitAndACRIsStillALine() {
        var framer = LineFramer(maxLineLength: 4)
        var lines: [String] = []
        #expect(Array("abcd\r".utf8).withUnsafeBytes { framer.feed($0) { _ in } } == .ok)
        #expect(framer.finish { lines.append(String(decoding: $0, as: UTF8.self)) } == .ok)
        #expect(lines == ["abcd"], "a final CR is dropped like the one of a CRLF")
    }

    /// Any split of the same stream gives the same lines.
    @Test func chunkingDoesNotMatter() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("ab\r\n\n".utf8)
        for _ in 0..<200 {
            let stream = (0..<Int.random(in: 0...60, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }
            let whole = frame([String(decoding: stream, as: UTF8.self)], maxLine: 1000).lines
            var chunks: [String] = []
            var rest = stream[...]
            while !rest.isEmpty {
                let take = Int.random(in: 1...max(1, rest.count), using: &generator)
                chunks.append(String(decoding: rest.prefix(take), as: UTF8.self))
                rest = rest.dropFirst(take)
            }
            #expect(frame(chunks, maxLine: 1000).lines == whole, "stream \(stream)")
        }
    }
}
