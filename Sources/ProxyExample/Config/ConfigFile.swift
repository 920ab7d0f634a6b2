/// A proxy configuration file.
///
/// The format, one setting per line:
///
/// ```
/// # a comment
/// listen 0.0.0.0:8080
/// listen = [::]:8080          # repeatable settings may appear on several lines
/// upstream "10.0.0.1:6379"    # a value may be double-quoted
/// max-conns-per-ip 50
/// ```
///
/// - `name value` or `name = value`, where `name` is a long flag without its dashes and must
///   be one of the known keys;
/// - `#` starts a comment at the start of a line or after whitespace (`a#b` is a value);
/// - blank lines are skipped, and whitespace around names and values is trimmed (CRLF line
///   ends and a leading UTF-8 byte-order mark are accepted);
/// - a value in double quotes is taken literally (it may contain `#` and spaces); inside the
///   quotes `\"` and `\\` stand for `"` and `\`; only a comment may follow the closing quote;
/// - a value must not contain control characters.
///
/// Parsing is a single pass over the bytes: O(length) time and memory, whatever the input.
struct ConfigFile: Sendable {
    /// One setting as written, with its line number (1-based) for messages.
    struct Entry: Sendable, Hashable {
        var key: String
        var value: String
        var line: Int
    }

    /// The settings in file order.
    var entries: [Entry] = []

    /// Parses `text`. Throws ``ConfigError`` with the 1-based line number and the quoted line
    /// (cut to a sane length) on an unknown name, a missing value, a bad quote or a control
    /// character. O(length of `text`).
    static func parse(_ text: String, knownKeys: Set<String>) throws(ConfigError) -> ConfigFile {
        var file = ConfigFile()
        let parser = ConfigLineParser(knownKeys: knownKeys)
        let bytes = Array(text.utf8)
        var start = 0
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { start = 3 }
        var lineNumber = 1
        var index = start
        while index <= bytes.count {
            if index == bytes.count || bytes[index] == UInt8(ascii: "\n") {
                if let entry = try parser.parse(bytes[start..<index], line: lineNumber) {
                    file.entries.append(entry)
                }
                lineNumber += 1
                start = index + 1
            }
            index += 1
        }
        return file
    }

    /// Every value given for `key`, in file order. O(number of entries).
    func values(_ key: String) -> [String] { entries.filter { $0.key == key }.map(\.value) }
}
