/// The parts of an HTTP/1.x request head the metrics endpoint needs: the method and the path.
///
/// Parsing is strict and bounded: a request line `METHOD SP TARGET SP HTTP/1.0|1.1` with a
/// token method and an origin-form target, then header lines each with a non-empty field
/// name followed by `:`; no control characters but tab anywhere. Headers are checked, not kept.
/// O(length of the head); never traps on any input.
struct HTTPRequestHead: Equatable {
    /// `GET`, `HEAD`, … as sent (case-sensitive, as HTTP methods are).
    var method: String
    /// The target's path, without the query string.
    var path: String

    /// Parses a complete head (with or without its final empty line); nil when malformed.
    init?(_ head: ArraySlice<UInt8>) {
        var lines: [ArraySlice<UInt8>] = []
        var start = head.startIndex
        for index in head.indices where head[index] == UInt8(ascii: "\n") {
            var line = head[start..<index]
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            lines.append(line)
            start = index + 1
        }
        if start < head.endIndex { lines.append(head[start...]) }
        while let last = lines.last, last.isEmpty { lines.removeLast() }
        guard let requestLine = lines.first else { return nil }
        for line in lines {
            if line.contains(where: { ($0 < 0x20 && $0 != 0x09) || $0 == 0x7F }) { return nil }
        }

        let parts = requestLine.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, parts[0].allSatisfy(HTTPRequestHead.isTokenByte),
              parts[1].first == UInt8(ascii: "/"),
              parts[2].elementsEqual("HTTP/1.1".utf8) || parts[2].elementsEqual("HTTP/1.0".utf8)
        else { return nil }
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex,
                  line[line.startIndex..<colon].allSatisfy(HTTPRequestHead.isTokenByte)
            else { return nil }
        }
        method = String(decoding: parts[0], as: UTF8.self)
        let target = parts[1]
        path = String(decoding: target[..<(target.firstIndex(of: UInt8(ascii: "?")) ?? target.endIndex)], as: UTF8.self)
    }

    /// RFC 9110 `tchar`: the bytes of a method or a field name.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }
}
