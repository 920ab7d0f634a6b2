import Configuration

/// The settings given as command-line flags, as a configuration provider (the first, winning
/// one). The flags are parsed by swift-argument-parser as text; this provider converts them
/// when read, so a bad flag value is reported like a bad value from any other source.
/// Immutable and `Sendable`; lookups are O(1).
struct FlagsProvider: Sendable {
    private let current: Snapshot

    /// The flags given: each setting name (the long flag without dashes) with its values in
    /// order (empty: not given).
    init(_ flags: [String: [String]], secret: Set<String> = SettingKeys.secret) {
        let values = flags.filter { !$0.value.isEmpty }.mapValues { $0.map { TextValues.Value(text: $0, line: 0) } }
        current = Snapshot(values: TextValues(values: values, secret: secret))
    }

    struct Snapshot: ConfigSnapshot {
        var values: TextValues
        var providerName: String { "flags" }
        func value(forKey key: AbsoluteConfigKey, type: ConfigType) throws -> LookupResult {
            try values.lookup(key, type: type)
        }
    }
}

extension FlagsProvider: ConfigProvider {
    var providerName: String { current.providerName }

    func value(forKey key: AbsoluteConfigKey, type: ConfigType) throws -> LookupResult {
        try current.value(forKey: key, type: type)
    }

    func fetchValue(forKey key: AbsoluteConfigKey, type: ConfigType) async throws -> LookupResult {
        try current.value(forKey: key, type: type)
    }

    nonisolated(nonsending) func watchValue<Return: ~Copyable>(
        forKey key: AbsoluteConfigKey,
        type: ConfigType,
        updatesHandler: nonisolated(nonsending) (_ updates: ConfigUpdatesAsyncSequence<Result<LookupResult, any Error>, Never>) async throws -> Return
    ) async throws -> Return {
        try await watchValueFromValue(forKey: key, type: type, updatesHandler: updatesHandler)
    }

    func snapshot() -> any ConfigSnapshot { current }

    nonisolated(nonsending) func watchSnapshot<Return: ~Copyable>(
        updatesHandler: nonisolated(nonsending) (_ updates: ConfigUpdatesAsyncSequence<any ConfigSnapshot, Never>) async throws -> Return
    ) async throws -> Return {
        try await watchSnapshotFromSnapshot(updatesHandler: updatesHandler)
    }
}
