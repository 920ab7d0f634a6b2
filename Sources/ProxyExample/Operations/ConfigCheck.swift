import ArgumentParser
import Glibc

extension SettingError {
    /// The error as `--check` and a failed reload print it: the place first, then the reason:
    /// `proxy.conf:3: max-conns: "abc" is not a whole number >= 1`, `proxy.conf: No such file
    /// or directory`, `flag --threads: "0" is not a whole number >= 1`. One line.
    var located: String {
        guard var place = source else { return description }
        // A file that cannot be opened is named by its path alone.
        if place.hasPrefix("--config ") { place.removeFirst("--config ".count) }
        let namesKey = place.hasPrefix("flag ") || place.hasPrefix("environment variable ")
        let reason = key.map { namesKey ? message : "\($0): \(message)" } ?? message
        return String("\(place): \(reason)".map { $0.isNewline ? " " : $0 })
    }
}

extension SettingsLoader {
    /// Every error in the settings, in reading order (empty: they are valid). A key whose value
    /// is wrong is reported once and then read as not given, so the keys after it are checked
    /// too; an error about no single key (no listen address, no upstream) ends the check.
    /// Opens no socket and resolves no name. O(keys × settings).
    func allErrors() async -> [SettingError] {
        var loader = self
        var errors: [SettingError] = []
        while true {
            do {
                _ = try await loader.settings()
                return errors
            } catch let error as SettingError {
                errors.append(error)
                guard let key = error.key, !loader.ignored.contains(key) else { return errors }
                loader.ignored.insert(key)
            } catch {
                errors.append(SettingError(key: nil, message: "\(error)"))
                return errors
            }
        }
    }
}

/// `ProxyExample --check`: validates the settings of the command line and `--config` file
/// without opening a socket.
enum ConfigCheck {
    /// Every error in the settings from `flags` and the file at `configPath` (empty: valid; a
    /// file that cannot be read or parsed is one error naming it).
    static func errors(flags: [String: [String]], configPath: String?) async -> [SettingError] {
        do {
            return try await SettingsLoader.make(flags: flags, configPath: configPath).allErrors()
        } catch {
            return [error]
        }
    }

    /// Prints `configuration OK` (standard output) and returns, or prints each error as
    /// `FILE:LINE: reason` (standard error) and throws `ExitCode.failure` (exit status 1).
    static func run(flags: [String: [String]], configPath: String?) async throws {
        let errors = await errors(flags: flags, configPath: configPath)
        guard errors.isEmpty else {
            for error in errors { writeError(error.located) }
            throw ExitCode.failure
        }
        print("configuration OK")
    }

    private static func writeError(_ line: String) {
        let text = line + "\n"
        _ = text.withCString { write(STDERR_FILENO, $0, strlen($0)) }
    }
}
