import ArgumentParser
import Logging

/// How ``ConsoleLogHandler`` writes a line: `--log-format text|json`.
public enum LogFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    /// The message, then the metadata as `key=value` (info and notice lines without a level prefix).
    case text
    /// One JSON object per line: `{"level":…,"message":…,"metadata":{…}}`, keys sorted.
    case json
}

/// Renders one log event as one JSON object (no trailing newline). Pure; O(length of the line).
enum JSONLogLine {
    /// `{"level":"info","message":"…","metadata":{"key":"value",…}}`; metadata keys sorted,
    /// nested values rendered as their text; an attached error becomes `metadata.error`.
    static func render(level: Logger.Level, message: String, metadata: Logger.Metadata, error: (any Error)?) -> String {
        var line = "{\"level\":" + quoted(level.rawValue) + ",\"message\":" + quoted(message) + ",\"metadata\":{"
        var pairs = metadata.map { ($0.key, $0.value.description) }
        if let error { pairs.append(("error", "\(error)")) }
        pairs.sort { $0.0 < $1.0 }
        line += pairs.map { quoted($0.0) + ":" + quoted($0.1) }.joined(separator: ",")
        return line + "}}"
    }

    /// `text` as a JSON string literal: quotes, backslashes and control characters escaped.
    static func quoted(_ text: String) -> String {
        var out = "\""
        out.unicodeScalars.reserveCapacity(text.unicodeScalars.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
