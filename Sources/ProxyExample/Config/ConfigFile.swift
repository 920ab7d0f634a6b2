/// A proxy configuration file: one setting per line, `name value` or `name = value`, where
/// `name` is a long flag without its dashes (`listen`, `upstream`, `max-conns`, …); repeatable
/// settings may appear on several lines; `#` starts a comment. (Stub: the parser is to come.)
struct ConfigFile: Sendable {
    /// One setting as written, with its line number (1-based) for messages.
    struct Entry: Sendable, Hashable {
        var key: String
        var value: String
        var line: Int
    }

    /// The settings in file order.
    var entries: [Entry] = []

    /// Parses `text`; throws ``ConfigError`` naming the line on a malformed or unknown setting.
    static func parse(_ text: String, knownKeys: Set<String>) throws(ConfigError) -> ConfigFile {
        throw ConfigError(line: 0, message: "config files are not supported yet")
    }

    /// Every value given for `key`, in file order.
    func values(_ key: String) -> [String] { entries.filter { $0.key == key }.map(\.value) }
}

/// A configuration error: the line (0 when not about one line) and what is wrong.
struct ConfigError: Error, CustomStringConvertible, Sendable {
    var line: Int
    var message: String
    var description: String { line > 0 ? "line \(line): \(message)" : message }
}
