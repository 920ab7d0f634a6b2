/// Parses one line of a ``ConfigFile``. A value type with no shared state; O(length of the line).
struct ConfigLineParser {
    let knownKeys: Set<String>

    private static let quote = UInt8(ascii: "\"")
    private static let backslash = UInt8(ascii: "\\")
    private static let hash = UInt8(ascii: "#")
    private static let equals = UInt8(ascii: "=")

    /// Space, tab, carriage return, vertical tab and form feed.
    static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0B || byte == 0x0C
    }

    /// The entry on `line` (without its line feed), or nil for a blank or comment line.
    /// Throws ``ConfigError`` naming `number` and quoting the line.
    func parse(_ line: ArraySlice<UInt8>, line number: Int) throws(ConfigError) -> ConfigFile.Entry? {
        var start = line.startIndex
        var end = line.endIndex
        while start < end, Self.isSpace(line[start]) { start += 1 }
        while end > start, Self.isSpace(line[end - 1]) { end -= 1 }
        if start == end || line[start] == Self.hash { return nil }

        func fail(_ message: String) -> ConfigError {
            ConfigError(line: number, message: "\(message) in \(quoted(String(decoding: line[start..<end], as: UTF8.self)))")
        }

        var cursor = start
        while cursor < end, !Self.isSpace(line[cursor]), line[cursor] != Self.equals { cursor += 1 }
        if cursor == start { throw fail("missing setting name") }
        let key = String(decoding: line[start..<cursor], as: UTF8.self)
        guard knownKeys.contains(key) else { throw fail("unknown setting \(quoted(key, limit: 40))") }

        while cursor < end, Self.isSpace(line[cursor]) { cursor += 1 }
        if cursor < end, line[cursor] == Self.equals {
            cursor += 1
            while cursor < end, Self.isSpace(line[cursor]) { cursor += 1 }
        }
        if cursor == end || line[cursor] == Self.hash && Self.isSpace(line[cursor - 1]) {
            throw fail("\(key) has no value")
        }

        let value: [UInt8]
        if line[cursor] == Self.quote {
            value = try quotedValue(line, from: cursor, to: end, fail: fail)
        } else {
            var valueEnd = cursor
            while valueEnd < end, !(line[valueEnd] == Self.hash && Self.isSpace(line[valueEnd - 1])) { valueEnd += 1 }
            while valueEnd > cursor, Self.isSpace(line[valueEnd - 1]) { valueEnd -= 1 }
            value = Array(line[cursor..<valueEnd])
        }
        if value.contains(where: { $0 < 0x20 && $0 != 0x09 || $0 == 0x7F }) {
            throw fail("control character in the value of \(key)")
        }
        return ConfigFile.Entry(key: key, value: String(decoding: value, as: UTF8.self), line: number)
    }

    /// The unescaped content of the double-quoted value opening at `open`; only whitespace and
    /// a comment may follow the closing quote.
    private func quotedValue(
        _ line: ArraySlice<UInt8>, from open: Int, to end: Int, fail: (String) -> ConfigError
    ) throws(ConfigError) -> [UInt8] {
        var value: [UInt8] = []
        var cursor = open + 1
        while true {
            guard cursor < end else { throw fail("missing closing quote") }
            let byte = line[cursor]
            if byte == Self.quote { break }
            if byte == Self.backslash {
                guard cursor + 1 < end, line[cursor + 1] == Self.quote || line[cursor + 1] == Self.backslash else {
                    throw fail("unknown escape in quotes (only \\\" and \\\\)")
                }
                cursor += 1
            }
            value.append(line[cursor])
            cursor += 1
        }
        cursor += 1
        while cursor < end, Self.isSpace(line[cursor]) { cursor += 1 }
        if cursor < end, line[cursor] != Self.hash { throw fail("text after the closing quote") }
        return value
    }
}
