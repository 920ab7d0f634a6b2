import Glibc

/// Splits a byte stream into lines, the way the line protocol reads them: LF ends a line, a CR
/// right before it is dropped (so CRLF works too), and a line longer than `maxLineLength`
/// bytes (without its terminator) is an error, reported as soon as it is certain, before the
/// newline arrives, so a peer cannot make the buffer grow without bound.
///
/// Pure and reusable by both API levels: lines wholly inside a chunk are passed to the callback
/// without a copy; only the part of a line that spans chunks is kept.
struct LineFramer {
    /// What a call to ``feed(_:onLine:)`` or ``finish(onLine:)`` found.
    enum Status: Equatable {
        /// Every complete line was passed on; the rest (if any) waits for more bytes.
        case ok
        /// A line exceeded the limit: the lines before it were passed on, nothing after it.
        case lineTooLong
    }

    /// The longest line accepted, in bytes, without the LF or CRLF.
    let maxLineLength: Int
    /// The start of a line whose end has not arrived yet.
    private var partial: [UInt8] = []
    /// True once a line was too long: the stream is not framed any further.
    private(set) var failed = false

    /// A framer for lines of at most `maxLineLength` bytes.
    init(maxLineLength: Int) {
        precondition(maxLineLength >= 0, "maxLineLength must not be negative")
        self.maxLineLength = maxLineLength
    }

    /// Bytes of an unfinished line held since the last complete one.
    var bufferedBytes: Int { partial.count }

    /// Takes the next bytes of the stream and calls `onLine` with each line completed by them
    /// (without its terminator). The pointer passed to `onLine` is valid only during the call.
    mutating func feed(_ chunk: UnsafeRawBufferPointer, onLine: (UnsafeRawBufferPointer) throws -> Void) rethrows -> Status {
        guard !failed else { return .lineTooLong }
        guard let base = chunk.baseAddress, !chunk.isEmpty else { return .ok }
        var start = 0
        while start < chunk.count, let found = memchr(base + start, 0x0A, chunk.count - start) {
            let end = base.distance(to: UnsafeRawPointer(found))
            let piece = UnsafeRawBufferPointer(rebasing: chunk[start..<end])
            let passed: Bool
            if partial.isEmpty {
                passed = try Self.pass(piece, limit: maxLineLength, onLine)
            } else {
                partial.append(contentsOf: piece)
                let limit = maxLineLength
                passed = try partial.withUnsafeBytes { try Self.pass($0, limit: limit, onLine) }
                partial.removeAll(keepingCapacity: true)
            }
            if !passed { return fail() }
            start = end + 1
        }
        if start < chunk.count {
            partial.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[start...]))
            // A trailing CR may still turn out to be half of a CRLF, so it does not count yet.
            let length = partial.last == 0x0D ? partial.count - 1 : partial.count
            if length > maxLineLength { return fail() }
        }
        return .ok
    }

    /// The stream ended: a final line without a newline is still a line (a trailing CR dropped).
    mutating func finish(onLine: (UnsafeRawBufferPointer) throws -> Void) rethrows -> Status {
        guard !failed else { return .lineTooLong }
        guard !partial.isEmpty else { return .ok }
        let limit = maxLineLength
        let passed = try partial.withUnsafeBytes { try Self.pass($0, limit: limit, onLine) }
        partial = []
        return passed ? .ok : fail()
    }

    /// Calls `onLine` with `raw` less a trailing CR; false when that is longer than `limit`.
    private static func pass(_ raw: UnsafeRawBufferPointer, limit: Int, _ onLine: (UnsafeRawBufferPointer) throws -> Void) rethrows -> Bool {
        let line = raw.last == 0x0D ? UnsafeRawBufferPointer(rebasing: raw.dropLast()) : raw
        guard line.count <= limit else { return false }
        try onLine(line)
        return true
    }

    private mutating func fail() -> Status {
        failed = true
        partial = []
        return .lineTooLong
    }
}
