/// One `--route-sni NAME=HOST:PORT`: clients whose TLS ClientHello asks for `NAME` are
/// relayed, TLS untouched, to `HOST:PORT`. `NAME` is a host name, matched without regard to
/// case, or `*.SUFFIX`, which matches any name ending in `.SUFFIX` (one label or more).
struct SNIRoute: Sendable, Hashable {
    /// The name as given, lowercased (`*.` kept for a wildcard).
    let name: String
    /// The upstream, `HOST:PORT` or `NAME:PORT` (resolved like an `--upstream`).
    let target: String

    /// Parses `NAME=HOST:PORT`; throws a one-line reason for anything else.
    init(_ text: String) throws(SNIRouteError) {
        guard let equals = text.firstIndex(of: "=") else { throw SNIRouteError("expected NAME=HOST:PORT") }
        let name = text[..<equals].lowercased()
        let target = String(text[text.index(after: equals)...])
        guard Self.isValid(name: name) else {
            throw SNIRouteError("\(name.isEmpty ? "an empty name" : "'\(name)'") is not a host name or *.suffix")
        }
        guard !target.isEmpty else { throw SNIRouteError("no HOST:PORT after '='") }
        self.name = name
        self.target = target
    }

    /// True for `*.SUFFIX` routes.
    var isWildcard: Bool { name.hasPrefix("*.") }

    /// A host name (letters, digits, hyphens, underscores, dots; no empty label), optionally
    /// after a leading `*.`.
    static func isValid(name: String) -> Bool {
        let host = name.hasPrefix("*.") ? name.dropFirst(2) : Substring(name)
        guard !host.isEmpty, host.utf8.count <= 253 else { return false }
        return host.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            !label.isEmpty && label.utf8.count <= 63
                && label.utf8.allSatisfy { $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || Self.isAlphanumeric($0) }
        }
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}

/// Why a `--route-sni` value was refused.
struct SNIRouteError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
