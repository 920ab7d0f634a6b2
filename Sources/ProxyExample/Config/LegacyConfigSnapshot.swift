import Configuration

/// Where a file snapshot's keys are: lets an error name `file:line`.
protocol KeyLines {
    /// The 1-based line of `key` (of its value `text` when the key has several); nil when unknown.
    func line(of key: String, value text: String?) -> Int?
}

/// A config file in the proxy's original `name value` format (``ConfigFile``), as a snapshot
/// for swift-configuration's file providers (`FileProvider`, `ReloadingFileProvider`).
/// Parsing throws ``ConfigError`` naming the line (unknown setting, malformed line); values
/// convert to the type read, like environment variables. Immutable; O(length) to parse.
struct LegacyConfigSnapshot: Sendable {
    /// The format has no options.
    struct ParsingOptions: FileParsingOptions {
        static var `default`: Self { Self() }
    }

    let providerName: String
    let values: TextValues

    /// The snapshot of `text` (the file's content).
    init(text: String, providerName: String, secret: Set<String> = SettingKeys.secret) throws(ConfigError) {
        let file = try ConfigFile.parse(text, knownKeys: SettingKeys.all)
        var values: [String: [TextValues.Value]] = [:]
        for entry in file.entries { values[entry.key, default: []].append(.init(text: entry.value, line: entry.line)) }
        self.providerName = providerName
        self.values = TextValues(values: values, secret: secret)
    }
}

extension LegacyConfigSnapshot: FileConfigSnapshot {
    init(data: RawSpan, providerName: String, parsingOptions: ParsingOptions) throws {
        let text = data.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
        try self.init(text: text, providerName: providerName)
    }

    func value(forKey key: AbsoluteConfigKey, type: ConfigType) throws -> LookupResult {
        try values.lookup(key, type: type)
    }

    var description: String { "\(providerName)[\(values.values.count) values]" }
    var debugDescription: String { "\(providerName)[\(values.redactedDescription)]" }
}

extension LegacyConfigSnapshot: KeyLines {
    func line(of key: String, value text: String?) -> Int? { values.line(of: key, value: text) }
}
