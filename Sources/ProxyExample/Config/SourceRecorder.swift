import Configuration
import Synchronization

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
