import Glibc

extension StreamSocket {
    /// Moves up to `count` bytes from this socket into `pipe` with splice(2), tracking
    /// readiness and counters like ``readNow(into:)``: `.processed(0)` at end of stream.
    /// Reactor thread only. Throws ``NetError`` (`read`, the peer, the errno).
    func spliceIn(to pipe: SplicePipe, count: Int) throws(NetError) -> IOResult<Int> {
        reactor.assertOnReactor()
        guard fd >= 0 else { throw closedError("read") }
        guard readReady else { return .wouldBlock }
        let result: IOResult<Int>
        do {
            result = try Syscall.splice(from: fd, to: pipe.writeEnd, count: count, operation: "read", at: endpoints)
        } catch {
            throw failed(error)
        }
        switch result {
        case .processed(let moved):
            if moved == 0, let givenUp { throw netError(givenUp.code, "read") }
            // A short splice may mean a full pipe rather than a drained socket, so readiness is
            // only dropped on EAGAIN (the pipe is empty whenever this is called).
            if moved > 0 {
                bytesReadCounter.store(bytesReadCounter.load(ordering: .relaxed) &+ UInt64(moved), ordering: .relaxed)
                lastActivityCounter.store(reactor.loopTime, ordering: .relaxed)
            }
        case .wouldBlock:
            readReady = false
        }
        return result
    }

    /// Moves up to `count` bytes from `pipe` into this socket with splice(2), tracking
    /// readiness and counters like ``write(_:)``. Reactor thread only. Throws ``NetError``
    /// (`write`, the peer, the errno).
    func spliceOut(from pipe: SplicePipe, count: Int) throws(NetError) -> IOResult<Int> {
        reactor.assertOnReactor()
        guard fd >= 0 else { throw closedError("write") }
        guard !outputShutdown else { throw netError(.outputClosed, "write") }
        guard writeReady else { return .wouldBlock }
        let result: IOResult<Int>
        do {
            result = try Syscall.splice(from: pipe.readEnd, to: fd, count: count, operation: "write", at: endpoints)
        } catch {
            throw failed(error)
        }
        switch result {
        case .processed(let moved):
            if moved < count { writeReady = false }
            bytesWrittenCounter.store(bytesWrittenCounter.load(ordering: .relaxed) &+ UInt64(moved), ordering: .relaxed)
            lastActivityCounter.store(reactor.loopTime, ordering: .relaxed)
        case .wouldBlock:
            writeReady = false
        }
        return result
    }

    /// Asks for the next pass to deliver a read event again (bounded work per pass).
    func readAgainNextPass() {
        reactor.dispatchAgainNextPass(registration, .readable)
    }
}
