/// `NAME:PORT` text for an upstream given by name (resolved at start and every
/// `--resolve-interval`), checked without any lookup.
enum HostPort {
    /// True for `NAME:PORT` where NAME is a DNS name (letters, digits, `-` and `.`, labels of
    /// 1 to 63 characters, at most 253 in all, not all digits) and PORT is 1 to 65535. O(length).
    static func isName(_ text: String) -> Bool {
        guard let colon = text.lastIndex(of: ":") else { return false }
        let host = text[..<colon]
        guard let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port) else { return false }
        guard !host.isEmpty, host.count <= 253 else { return false }
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        for label in labels {
            guard (1...63).contains(label.count), label.first != "-", label.last != "-",
                  label.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else { return false }
        }
        return !host.allSatisfy { $0.isNumber || $0 == "." }
    }
}
