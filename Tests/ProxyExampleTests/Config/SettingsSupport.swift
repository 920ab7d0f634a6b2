import Foundation
import Glibc
@testable import ProxyExample

/// A config file written for one test (a unique name with `suffix`, removed by `remove()`).
struct TempConfigFile {
    let path: String

    init(_ text: String, suffix: String = ".conf") throws {
        path = "/tmp/eventloop-proxy-\(getpid())-\(UInt32.random(in: 0...UInt32.max))\(suffix)"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    func remove() { unlink(path) }
}

/// Loads settings from `flags`, `environment` (only these variables) and an optional file
/// with `text` in the format of `suffix`.
func loadSettings(
    flags: [String: [String]] = [:], environment: [String: String] = [:], file text: String? = nil, suffix: String = ".conf",
    secret: Set<String> = SettingKeys.secret
) async throws -> ProxySettings {
    let file = try text.map { try TempConfigFile($0, suffix: suffix) }
    defer { file?.remove() }
    let loader = try await SettingsLoader.make(flags: flags, environment: environment, configPath: file?.path, secret: secret)
    return try await loader.settings()
}

/// The error loading those settings gives, with the file's path (nil: no file); nil when
/// they load.
func settingsError(
    flags: [String: [String]] = [:], environment: [String: String] = [:], file text: String? = nil, suffix: String = ".conf",
    secret: Set<String> = SettingKeys.secret
) async throws -> (error: SettingError, path: String?)? {
    let file = try text.map { try TempConfigFile($0, suffix: suffix) }
    defer { file?.remove() }
    do {
        let loader = try await SettingsLoader.make(flags: flags, environment: environment, configPath: file?.path, secret: secret)
        _ = try await loader.settings()
        return nil
    } catch let error as SettingError {
        return (error, file?.path)
    }
}

/// The two settings every load needs, as flags.
let requiredFlags: [String: [String]] = ["listen": ["127.0.0.1:0"], "upstream": ["127.0.0.1:1"]]
