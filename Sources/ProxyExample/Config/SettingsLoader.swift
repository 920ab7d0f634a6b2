import ArgumentParser
import Configuration
import Foundation
import Glibc
import Synchronization

/// The proxy's settings reader: one swift-configuration `ConfigReader` over the flags, then
/// the `PROXY_*` environment variables, then the config file (JSON, YAML or the `name value`
/// format); a setting none of them gives takes its default. Build it with ``make(flags:environment:configPath:secret:)``
/// and read with ``settings()``; reading again gives the file's current content once its
/// provider has reloaded it. `Sendable`; reads are O(settings).
struct SettingsLoader: Sendable {
    /// The reader over ``providers``.
    let reader: ConfigReader
    /// The providers in precedence order, and the source each stands for.
    let providers: [any ConfigProvider]
    let sources: [SettingSource]
    /// The config file's provider, nil without a file: a `ReloadingFileProvider`, which is a
    /// swift-service-lifecycle `Service`: run in a `ServiceGroup` it polls the file and the
    /// next ``settings()`` sees the new content (a file that fails to parse keeps the old one).
    let fileProvider: (any ConfigProvider)?
    let recorder: SourceRecorder
    /// Settings whose values are never quoted in errors (and are secret to the reader).
    let secret: Set<String>
    /// Settings read as not given (a check that collects every error skips those reported).
    var ignored: Set<String> = []

    /// The reader for `flags` (setting name → values given; empty: not given), the
    /// environment (nil: the process's), and the file at `configPath`, whose format its
    /// extension picks: `.json`, `.yaml`/`.yml`, otherwise `name value` lines. Throws
    /// ``SettingError`` naming the file (and line) when it cannot be read or parsed or has an
    /// unknown key.
    static func make(
        flags: [String: [String]], environment: [String: String]? = nil, configPath: String?,
        secret: Set<String> = SettingKeys.secret
    ) async throws(SettingError) -> SettingsLoader {
        let secretVariables = Set(secret.map(SettingKeys.environmentName))
        let environmentProvider = if let environment {
            EnvironmentVariablesProvider(environmentVariables: environment, secretsSpecifier: .specific(secretVariables))
        } else {
            EnvironmentVariablesProvider(secretsSpecifier: .specific(secretVariables))
        }
        var providers: [any ConfigProvider] = [FlagsProvider(flags, secret: secret), environmentProvider.prefixKeys(with: "proxy")]
        var sources: [SettingSource] = [.flag, .environment]
        var fileProvider: (any ConfigProvider)?
        if let configPath {
            let provider = try await Self.fileProvider(path: configPath, secret: secret)
            providers.append(provider)
            sources.append(.file(path: configPath))
            fileProvider = provider
        }
        let recorder = SourceRecorder()
        return SettingsLoader(
            reader: ConfigReader(providers: providers, accessReporter: recorder), providers: providers,
            sources: sources, fileProvider: fileProvider, recorder: recorder, secret: secret
        )
    }

    /// A reloading file provider for `path` in the format its extension names.
    private static func fileProvider(path: String, secret: Set<String>) async throws(SettingError) -> any ConfigProvider {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SettingError(key: nil, message: String(cString: strerror(errno)), source: "--config \(path)") }
        close(fd)
        // The providers take the path through a reader (the initialiser taking a FilePath
        // would need swift-system's type).
        let location = ConfigReader(provider: InMemoryProvider(values: ["filePath": ConfigValue(.string(path), isSecret: false)]))
        let name = path.lowercased()
        do {
            if name.hasSuffix(".json") {
                let options = JSONSnapshot.ParsingOptions(secretsSpecifier: .specific(secret))
                return try await ReloadingFileProvider<CheckedFileSnapshot<JSONSnapshot>>(parsingOptions: options, config: location)
            } else if name.hasSuffix(".yaml") || name.hasSuffix(".yml") {
                let options = YAMLSnapshot.ParsingOptions(secretsSpecifier: .specific(secret))
                return try await ReloadingFileProvider<CheckedFileSnapshot<YAMLSnapshot>>(parsingOptions: options, config: location)
            } else {
                return try await ReloadingFileProvider<LegacyConfigSnapshot>(config: location)
            }
        } catch let error as ConfigError {
            throw SettingError(key: nil, message: error.message, source: error.line > 0 ? "\(path):\(error.line)" : path)
        } catch let error as NSError where error.domain == NSCocoaErrorDomain {
            // Foundation's JSON parser: its debug description says what and where.
            let detail = error.userInfo[NSDebugDescriptionErrorKey].map { "\($0)" } ?? error.localizedDescription
            throw SettingError(key: nil, message: "not valid JSON: \(detail)", source: path)
        } catch {
            throw SettingError(key: nil, message: "\(error)", source: path)
        }
    }
}

extension ProxySettings {
    /// The effective settings for the command line's `flags` and `--config` file: on bad input
    /// prints one line (`Error: KEY: PROBLEM (SOURCE)`) to standard error and throws
    /// `ExitCode.failure` (exit status 1).
    static func loadOrExit(flags: [String: [String]], configPath: String?) async throws -> ProxySettings {
        do {
            let loader = try await SettingsLoader.make(flags: flags, configPath: configPath)
            return try await loader.settings()
        } catch let error as SettingError {
            let line = "Error: \(error)\n"
            _ = line.withCString { write(STDERR_FILENO, $0, strlen($0)) }
            throw ExitCode.failure
        }
    }
}

/// An access reporter for the settings reader: remembers, for each key read, which provider
/// answered (gave the value or failed to convert it), so an error can name the source.
/// Thread-safe (a mutex); O(providers) per access.
final class SourceRecorder: AccessReporter {
    private let answered = Mutex<[String: Int]>([:])

    func report(_ event: AccessEvent) {
        let index = event.providerResults.firstIndex { result in
            switch result.result {
            case .success(let lookup): lookup.value != nil
            case .failure: true
            }
        }
        answered.withLock { $0[event.metadata.key.description] = index }
    }

    /// The index (in the reader's provider list) of the provider that answered the last read
    /// of `key`; nil when none had it.
    func provider(of key: String) -> Int? {
        answered.withLock { $0[key] }
    }
}
