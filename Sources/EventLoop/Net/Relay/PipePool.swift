/// A kernel pipe used to splice bytes between two sockets without copying them to user space.
struct SplicePipe {
    let readEnd: Int32
    let writeEnd: Int32
    /// Bytes the pipe can hold (the kernel's pipe buffer size).
    let capacity: Int
}

/// A reactor's free pipes for splice relays (reactor thread only). A relay takes a pipe when
/// a direction starts to stream and gives it back empty when done; a pipe that still holds
/// bytes is closed instead. At most ``PipePool/maxIdle`` pipes wait in the pool.
///
/// fd accounting: a pipe in use counts as two of the reactor's open descriptors
/// (``Reactor/openSocketCount``); pooled pipes are counted apart (``idleCount``) and closed at
/// shutdown, so leak checks see only what connections still hold.
final class PipePool {
    /// Each reactor's pool, made on first use; it closes its idle pipes when the reactor shuts down.
    static let key = ReactorLocalKey<PipePool> { reactor in
        let pool = PipePool()
        reactor.onShutdown { pool.closeAll() }
        return pool
    }

    /// Pipes kept for reuse at most.
    static let maxIdle = 64
    /// The pipe buffer asked for: 256 KiB moves a bulk stream in fewer, larger splices.
    static let preferredCapacity: Int32 = 256 * 1024

    private var idle: [SplicePipe] = []

    /// Pipes waiting in the pool.
    var idleCount: Int { idle.count }

    /// A pipe for `reactor`: pooled or new. Throws ``NetError`` (`pipe`) at the fd limit.
    func acquire(for reactor: Reactor) throws(NetError) -> SplicePipe {
        reactor.socketOpened()
        reactor.socketOpened()
        if let pipe = idle.popLast() { return pipe }
        do {
            let (readEnd, writeEnd) = try Syscall.pipe()
            let capacity = Syscall.setPipeSize(writeEnd, bytes: Self.preferredCapacity) ?? 65536
            return SplicePipe(readEnd: readEnd, writeEnd: writeEnd, capacity: capacity)
        } catch {
            reactor.socketClosed()
            reactor.socketClosed()
            throw error
        }
    }

    /// Gives `pipe` back: pooled when `empty` and the pool has room, closed otherwise.
    func release(_ pipe: SplicePipe, empty: Bool, for reactor: Reactor) {
        reactor.socketClosed()
        reactor.socketClosed()
        if empty && idle.count < Self.maxIdle {
            idle.append(pipe)
        } else {
            Syscall.close(pipe.readEnd)
            Syscall.close(pipe.writeEnd)
        }
    }

    /// Closes every pooled pipe (at reactor shutdown).
    func closeAll() {
        for pipe in idle {
            Syscall.close(pipe.readEnd)
            Syscall.close(pipe.writeEnd)
        }
        idle.removeAll()
    }
}

extension Reactor {
    /// This reactor's pipes for splice relays (reactor thread only).
    var pipePool: PipePool { local(PipePool.key) }
}
