/// A configuration error: the line (0 when not about one line) and what is wrong.
struct ConfigError: Error, CustomStringConvertible, Sendable {
    var line: Int
    var message: String
    var description: String { line > 0 ? "line \(line): \(message)" : message }
}
