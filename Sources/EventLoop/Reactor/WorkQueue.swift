/// One unit of work for a reactor: a Swift job to run, or a closure.
enum Work {
    case job(UnownedJob)
    case closure(@Sendable () -> Void)
}

/// A growable ring buffer of work, used only on the reactor thread.
///
/// Push and pop are O(1); once it has grown to the peak load it never allocates again,
/// which keeps the steady state free of malloc calls.
struct WorkQueue {
    private var storage: [Work?]
    private var head = 0
    private(set) var count = 0

    init(capacity: Int = 256) {
        storage = Array(repeating: nil, count: capacity)
    }

    var isEmpty: Bool { count == 0 }

    mutating func push(_ work: Work) {
        if count == storage.count { grow() }
        storage[(head + count) & (storage.count - 1)] = work
        count += 1
    }

    mutating func pop() -> Work? {
        guard count > 0 else { return nil }
        let work = storage[head]
        storage[head] = nil
        head = (head + 1) & (storage.count - 1)
        count -= 1
        return work
    }

    private mutating func grow() {
        var bigger = [Work?](repeating: nil, count: storage.count * 2)
        for index in 0..<count {
            bigger[index] = storage[(head + index) & (storage.count - 1)]
        }
        storage = bigger
        head = 0
    }
}
