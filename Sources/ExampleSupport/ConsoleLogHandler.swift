import ArgumentParser
import Glibc
import Logging

/// A swift-log handler for a command-line server: one line per event on standard error, written
/// with a single write(2) so lines from several threads never interleave. Info and notice
/// lines are the bare message (the start line reads `listening on …`); the other levels are
/// prefixed with the level (`debug: …`, `warning: …`). Metadata follows as `key=value`.
/// With ``LogFormat/json`` each line is one JSON object instead (level, message, metadata).
public struct ConsoleLogHandler: LogHandler {
    /// The lowest level written.
    public var logLevel: Logger.Level
    /// Metadata added to every line.
    public var metadata: Logger.Metadata = [:]
    /// Text or JSON lines.
    public var format: LogFormat

    /// A handler that lets through `logLevel` and above, writing lines in `format`.
    public init(logLevel: Logger.Level, format: LogFormat = .text) {
        self.logLevel = logLevel
        self.format = format
    }

    /// One metadata value.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Writes one line to standard error.
    public func log(event: LogEvent) {
        if format == .json {
            var merged = metadata
            if let extra = event.metadata { merged.merge(extra) { _, new in new } }
            let line = JSONLogLine.render(level: event.level, message: event.message.description, metadata: merged, error: event.error)
            return standardError(line + "\n")
        }
        var line = event.level == .info || event.level == .notice ? "" : "\(event.level.rawValue): "
        line += event.message.description
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
            let text = value.description
            line += " \(key)=" + (Self.needsQuotes(text) ? text.debugDescription : text)
        }
        if let error = event.error { line += " error=\"\(error)\"" }
        standardError(line + "\n")
    }

    /// Empty values and those with spaces, quotes, control or non-ASCII characters are quoted
    /// (and escaped), so a line stays one line and splits unambiguously.
    private static func needsQuotes(_ value: String) -> Bool {
        value.isEmpty || value.utf8.contains { $0 <= 0x20 || $0 == 0x22 || $0 >= 0x7F }
    }
}

/// The `--log-level` values, as swift-log names them.
public enum LogLevelOption: String, ExpressibleByArgument, CaseIterable, Sendable {
    case trace, debug, info, notice, warning, error, critical

    /// The swift-log level.
    public var level: Logger.Level {
        switch self {
        case .trace: .trace
        case .debug: .debug
        case .info: .info
        case .notice: .notice
        case .warning: .warning
        case .error: .error
        case .critical: .critical
        }
    }
}

extension Logger {
    /// An example program's logger: ``ConsoleLogHandler`` at `level`, lines in `format`.
    public static func console(label: String, level: Logger.Level, format: LogFormat = .text) -> Logger {
        Logger(label: label) { _ in ConsoleLogHandler(logLevel: level, format: format) }
    }
}
