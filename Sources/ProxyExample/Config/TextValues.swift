import Configuration

/// Settings given as text (flags, or a `name value` config file): each key's values in the
/// order given, each with its line (0 for a flag). Converted to the type asked for when read,
/// as the environment variables provider converts its strings. A value type; O(1) per lookup
/// plus the conversion.
struct TextValues: Sendable {
    /// One value as written and where (1-based line; 0 when not from a file).
    struct Value: Sendable, Hashable {
        var text: String
        var line: Int
    }

    /// Each key's values, in the order given.
    var values: [String: [Value]]
    /// Keys whose values are secret (``SettingKeys/secret``).
    var secret: Set<String>

    /// The value of `key` as `type`: nil when absent; a string-array read gives every value, a
    /// single read throws ``TextValueError`` when the key was given more than once or the text
    /// does not convert.
    func lookup(_ key: AbsoluteConfigKey, type: ConfigType) throws -> LookupResult {
        let name = key.description
        guard let given = values[name], !given.isEmpty else { return LookupResult(encodedKey: name, value: nil) }
        let content: ConfigContent
        if type == .stringArray {
            content = .stringArray(given.map(\.text))
        } else {
            guard given.count == 1 else { throw TextValueError.givenMoreThanOnce(given.count) }
            let text = given[0].text
            switch type {
            case .string: content = .string(text)
            case .int:
                guard let int = Int(text) else { throw TextValueError.notConvertible(type) }
                content = .int(int)
            case .double:
                guard let double = Double(text) else { throw TextValueError.notConvertible(type) }
                content = .double(double)
            case .bool:
                guard let bool = Bool(text) else { throw TextValueError.notConvertible(type) }
                content = .bool(bool)
            default: throw TextValueError.notConvertible(type)
            }
        }
        return LookupResult(encodedKey: name, value: ConfigValue(content, isSecret: secret.contains(name)))
    }

    /// The line of `key`'s value `text` (its first line when `text` is nil); nil when absent
    /// or not from a file. O(values of `key`).
    func line(of key: String, value text: String?) -> Int? {
        guard let given = values[key] else { return nil }
        let line = (given.first { text == nil || $0.text == text } ?? given.first)?.line
        return line == 0 ? nil : line
    }

    /// `key=value` pairs for debugging, secret values redacted.
    var redactedDescription: String {
        values.keys.sorted().map { key in
            let texts = secret.contains(key) ? ["<REDACTED>"] : values[key, default: []].map(\.text)
            return "\(key)=\(texts.joined(separator: ","))"
        }.joined(separator: ", ")
    }
}

/// Why a textual value could not be read.
enum TextValueError: Error, CustomStringConvertible, Sendable {
    /// A single-valued setting given several times.
    case givenMoreThanOnce(Int)
    /// The text does not convert to the type asked for.
    case notConvertible(ConfigType)

    var description: String {
        switch self {
        case .givenMoreThanOnce(let count): "given \(count) times; it takes one value"
        case .notConvertible(let type): "not convertible to \(type.rawValue)"
        }
    }
}
