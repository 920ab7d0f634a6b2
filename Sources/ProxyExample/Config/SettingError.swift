/// A bad setting: which key, what is wrong, and where the value came from. Its description
/// is one line, e.g. `max-conns: "abc" is not a whole number >= 1 (environment variable
/// PROXY_MAX_CONNS)`.
struct SettingError: Error, CustomStringConvertible, Sendable {
    /// The setting's name (nil for an error about a whole file).
    var key: String?
    /// What is wrong.
    var message: String
    /// Where the value came from (`flag --max-conns`, `environment variable PROXY_MAX_CONNS`,
    /// `proxy.yaml:3`), nil when no single source.
    var source: String?

    var description: String {
        var text = key.map { "\($0): \(message)" } ?? message
        if let source { text += " (\(source))" }
        // One line whatever the input: a library's message or a value could hold line breaks.
        return String(text.map { $0.isNewline ? " " : $0 })
    }
}

/// Where a setting's value came from, in precedence order.
enum SettingSource: Sendable, Equatable {
    case flag
    case environment
    case file(path: String)

    /// The source of `key`'s value, as an error names it; `line` for a file when known.
    func describe(key: String, line: Int?) -> String {
        switch self {
        case .flag: "flag --\(key)"
        case .environment: "environment variable \(SettingKeys.environmentName(key))"
        case .file(let path): line.map { "\(path):\($0)" } ?? path
        }
    }
}
