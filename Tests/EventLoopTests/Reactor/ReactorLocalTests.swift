@testable import EventLoop
import EventLoopTesting
import Synchronization
import Testing

/// Reactor-local storage (Reactor/ReactorLocal.swift): one value per key and reactor, made on
/// first use, and shutdown hooks run when the reactor stops.
@Suite struct ReactorLocalTests {
    final class Box {
        let reactorName: String
        init(reactorName: String) { self.reactorName = reactorName }
    }

    final class HookRecord: Sendable {
        let runs = Atomic<Int>(0)
        let onReactor = Atomic<Bool>(false)
    }

    static let made = Atomic<Int>(0)
    static let boxKey = ReactorLocalKey<Box> { reactor in
        ReactorLocalTests.made.add(1, ordering: .relaxed)
        return Box(reactorName: reactor.name)
    }

    @Test func oneValuePerReactorMadeOnFirstUse() async throws {
        try await withReactorGroup(reactors: 2) { group in
            let before = ReactorLocalTests.made.load(ordering: .relaxed)
            let first = try await group.reactors[0].submit { () -> Bool in
                let reactor = group.reactors[0]
                return reactor.local(ReactorLocalTests.boxKey) === reactor.local(ReactorLocalTests.boxKey)
                    && reactor.local(ReactorLocalTests.boxKey).reactorName == reactor.name
            }
            let second = try await group.reactors[1].submit { () -> String in
                group.reactors[1].local(ReactorLocalTests.boxKey).reactorName
            }
            #expect(first)
            #expect(second == group.reactors[1].name)
            #expect(ReactorLocalTests.made.load(ordering: .relaxed) - before == 2)
        }
    }

    @Test func shutdownHooksRunOnceOnTheReactorThread() async throws {
        let record = HookRecord()
        let reactor = try Reactor(name: "local-hooks")
        try await reactor.submit {
            reactor.onShutdown {
                record.runs.add(1, ordering: .relaxed)
                record.onReactor.store(reactor.isCurrent, ordering: .relaxed)
            }
        }
        let runsBefore = record.runs.load(ordering: .relaxed)
        await reactor.shutdown()
        let runsAfter = record.runs.load(ordering: .relaxed)
        let ranOnReactor = record.onReactor.load(ordering: .relaxed)
        #expect(runsBefore == 0)
        #expect(runsAfter == 1)
        #expect(ranOnReactor)
    }

    @Test func keysTakeDistinctSlots() {
        #expect(PipePool.key.slot != ServingTasks.key.slot)
        #expect(ReactorLocalTests.boxKey.slot != PipePool.key.slot)
        #expect(ReactorLocalTests.boxKey.slot != ServingTasks.key.slot)
    }
}
