import Configuration
import Foundation
import Yams

/// A JSON or YAML file snapshot of swift-configuration (`Inner`: `JSONSnapshot` or
/// `YAMLSnapshot`, which read the values) that also knows the line of each key and rejects a
/// file with a key the proxy does not know (``ConfigError`` naming its line), so a misspelt
/// setting is reported rather than ignored. Immutable; parsing is O(length of the file).
struct CheckedFileSnapshot<Inner: FileConfigSnapshot>: Sendable {
    let inner: Inner
    /// Each key (nested keys joined with dots, as the library names them) and its 1-based line
    /// (0 when unknown).
    let lines: [String: Int]
}

extension CheckedFileSnapshot: FileConfigSnapshot {
    typealias ParsingOptions = Inner.ParsingOptions

    init(data: RawSpan, providerName: String, parsingOptions: ParsingOptions) throws {
        inner = try Inner(data: data, providerName: providerName, parsingOptions: parsingOptions)
        lines = FileKeyLines.lines(of: data.withUnsafeBytes { String(decoding: $0, as: UTF8.self) })
        let unknown = lines.filter { !SettingKeys.all.contains($0.key) }
        if let first = unknown.min(by: { ($0.value, $0.key) < ($1.value, $1.key) }) {
            throw ConfigError(line: first.value, message: "unknown setting \(quoted(first.key, limit: 40))")
        }
    }

    var providerName: String { inner.providerName }

    func value(forKey key: AbsoluteConfigKey, type: ConfigType) throws -> LookupResult {
        try inner.value(forKey: key, type: type)
    }

    var description: String { inner.description }
    var debugDescription: String { inner.debugDescription }
}

extension CheckedFileSnapshot: KeyLines {
    func line(of key: String, value text: String?) -> Int? {
        guard let line = lines[key], line > 0 else { return nil }
        return line
    }
}

/// The keys of a JSON or YAML document and their lines, flattened the way swift-configuration
/// flattens them (nested mappings joined with dots; sequences and scalars are values).
enum FileKeyLines {
    /// Keys and 1-based lines of `text`, read with Yams (JSON is YAML too). Text Yams cannot
    /// compose but Foundation reads as JSON gives its keys with line 0; otherwise no keys (the
    /// library's own parser has reported the error already).
    static func lines(of text: String) -> [String: Int] {
        var result: [String: Int] = [:]
        if let root = try? Yams.compose(yaml: text) {
            walk(root, path: [], into: &result)
        } else if let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) {
            walk(json: object, path: [], into: &result)
        }
        return result
    }

    private static func walk(_ node: Node, path: [String], into result: inout [String: Int]) {
        guard case .mapping(let mapping) = node else { return }
        for (key, value) in mapping {
            let keyPath = path + [key.string ?? "\(key)"]
            if case .mapping = value {
                walk(value, path: keyPath, into: &result)
            } else {
                result[keyPath.joined(separator: ".")] = key.mark?.line ?? 0
            }
        }
    }

    private static func walk(json: Any, path: [String], into result: inout [String: Int]) {
        guard let object = json as? [String: Any] else { return }
        for (key, value) in object {
            if value is [String: Any] {
                walk(json: value, path: path + [key], into: &result)
            } else {
                result[(path + [key]).joined(separator: ".")] = 0
            }
        }
    }
}
