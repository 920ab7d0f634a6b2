/// One direction of a copy between two connections of the same reactor, driven by readiness
/// on the reactor thread (no task switch per chunk): read from `source` into a pooled buffer
/// (or splice it into a pipe), write it to `destination`, and only read again once it is all
/// written, so a slow destination stops the reading (back-pressure: at most one chunk, or one
/// pipe, per direction). Reactor thread only.
final class CopyPump {
    let source: TCPConn
    let destination: TCPConn
    private let splice: SpliceMode
    private let halfCloseAtEnd: Bool
    /// The session told when this direction ends (and asked, at end of stream, whether the
    /// relay ends with it). Unowned: the session owns its pumps and outlives their ends.
    private unowned let session: RelaySession
    /// How it ended, once it has.
    private(set) var result: CopyResult?

    // Reactor-thread state; unchecked exclusivity as explained in Reactor.swift.
    @exclusivity(unchecked) private var buffer = ByteBuffer()
    @exclusivity(unchecked) private var pipe: SplicePipe?
    @exclusivity(unchecked) private var pipeBytes = 0
    @exclusivity(unchecked) private var bytes: UInt64 = 0
    @exclusivity(unchecked) private var splicedBytes: UInt64 = 0
    @exclusivity(unchecked) private var readsThisPass = 0
    @exclusivity(unchecked) private var readAgainQueued = false
    /// Consecutive reads that filled a 64 KiB chunk (in `auto`, two switch to splicing).
    @exclusivity(unchecked) private var fullReads = 0
    /// Consecutive small splices (in `auto`, many switch back to copying).
    @exclusivity(unchecked) private var smallSplices = 0
    @exclusivity(unchecked) private var nextReadSize = CopyPump.smallChunk
    @exclusivity(unchecked) private(set) var isFinished = false

    static let smallChunk = 16 * 1024
    static let largeChunk = 64 * 1024

    init(from source: TCPConn, to destination: TCPConn, splice: SpliceMode, halfCloseAtEnd: Bool,
         session: RelaySession) {
        self.source = source
        self.destination = destination
        self.splice = splice
        self.halfCloseAtEnd = halfCloseAtEnd
        self.session = session
    }

    /// Takes over the source's reads and the destination's writes, then copies what is ready.
    /// Throws ``NetError`` `.concurrentOperation` when either side has a call pending, and the
    /// pipe's error when `splice` is `.on` and no pipe can be made.
    func start() throws(NetError) {
        guard !source.readBusy, source.readPump == nil else {
            throw source.netError(.concurrentOperation, "read")
        }
        guard !destination.writeBusy, destination.writePump == nil else {
            throw destination.netError(.concurrentOperation, "write")
        }
        if splice == .on { pipe = try source.reactor.pipePool.acquire(for: source.reactor) }
        source.readBusy = true
        destination.writeBusy = true
        source.readPump = self
        destination.writePump = self
        step()
    }

    // MARK: events

    /// Readiness on either side: moves what can be moved now.
    func step() {
        guard !isFinished else { return }
        readAgainQueued = false
        readsThisPass = 0
        do throws(StepEnd) {
            if pipe != nil { try spliceLoop() } else { try copyLoop() }
        } catch {
            finish(error.end)
        }
    }

    /// Ends the copy without touching the connections (cancellation, idle timeout, the other
    /// direction's failure).
    func stop(_ end: CopyEnd) {
        finish(end)
    }

    /// A side was closed (locally, by the reactor, or after an error).
    func connectionClosed(_ conn: TCPConn, error: NetError?) {
        guard !isFinished else { return }
        guard let error, error.code != .closed else { return finish(.closed) }
        finish(conn === source ? .readFailed(error) : .writeFailed(error))
    }

    private struct StepEnd: Error {
        let end: CopyEnd
    }

    // MARK: copying through a buffer

    private func copyLoop() throws(StepEnd) {
        while true {
            if buffer.readableBytes > 0 {
                guard try flushBuffer() else { return }
            }
            guard takeReadTurn() else { return }
            if buffer.capacity == 0 {
                buffer = source.reactor.bufferPool.acquire(minimumCapacity: nextReadSize)
            }
            buffer.clear()
            let space = buffer.writableBytes
            let socket = source.socket
            var outcome = IOResult<Int>.wouldBlock
            do {
                _ = try buffer.withUnsafeMutableWritableBytes { space throws(NetError) -> Int in
                    outcome = try socket.readNow(into: space)
                    if case .processed(let count) = outcome { return count }
                    return 0
                }
            } catch {
                throw StepEnd(end: .readFailed(error))
            }
            switch outcome {
            case .wouldBlock:
                releaseBuffer()
                return
            case .processed(0):
                releaseBuffer()
                throw StepEnd(end: endOfStream())
            case .processed(let count):
                noteRead(count, space: space)
                if splice == .auto && fullReads >= 2, buffer.readableBytes > 0 {
                    // Bulk stream: write this chunk, then splice from the next read on.
                    guard try flushBuffer() else { return }
                    switchToSplice()
                    if pipe != nil { return try spliceLoop() }
                }
            }
        }
    }

    /// Writes the buffered bytes; false when the destination is full (wait for it).
    private func flushBuffer() throws(StepEnd) -> Bool {
        let socket = destination.socket
        while buffer.readableBytes > 0 {
            let outcome: IOResult<Int>
            do {
                outcome = try buffer.withUnsafeReadableBytes { bytes throws(NetError) in try socket.write(bytes) }
            } catch {
                throw StepEnd(end: .writeFailed(error))
            }
            guard case .processed(let count) = outcome else { return false }
            buffer.moveReaderIndex(forwardBy: count)
            bytes &+= UInt64(count)
            if destination.idleTimeoutNanoseconds != 0 { destination.noteActivity() }
        }
        return true
    }

    private func noteRead(_ count: Int, space: Int) {
        if source.idleTimeoutNanoseconds != 0 { source.noteActivity() }
        if count == space {
            nextReadSize = Self.largeChunk
            fullReads = space >= Self.largeChunk ? fullReads + 1 : 0
        } else {
            fullReads = 0
            if count < Self.smallChunk / 2 { nextReadSize = Self.smallChunk }
        }
    }

    private func releaseBuffer() {
        if buffer.capacity > 0 && !source.reactor.bufferPool.recycle(&buffer) { buffer = ByteBuffer() }
    }

    // MARK: splicing through a pipe

    private func spliceLoop() throws(StepEnd) {
        guard let pipe else { return try copyLoop() }
        while true {
            if pipeBytes > 0 {
                guard try flushPipe(pipe) else { return }
            }
            guard takeReadTurn() else { return }
            let outcome: IOResult<Int>
            do {
                outcome = try source.socket.spliceIn(to: pipe, count: pipe.capacity)
            } catch {
                throw StepEnd(end: .readFailed(error))
            }
            switch outcome {
            case .wouldBlock:
                return
            case .processed(0):
                throw StepEnd(end: endOfStream())
            case .processed(let count):
                pipeBytes = count
                if source.idleTimeoutNanoseconds != 0 { source.noteActivity() }
                if splice == .auto {
                    smallSplices = count < Self.smallChunk ? smallSplices + 1 : 0
                    if smallSplices >= 8 {
                        // The stream turned chatty: copying costs less than splicing now.
                        guard try flushPipe(pipe) else { return }
                        switchToCopy()
                        return try copyLoop()
                    }
                }
            }
        }
    }

    /// Writes what the pipe holds; false when the destination is full.
    private func flushPipe(_ pipe: SplicePipe) throws(StepEnd) -> Bool {
        while pipeBytes > 0 {
            let outcome: IOResult<Int>
            do {
                outcome = try destination.socket.spliceOut(from: pipe, count: pipeBytes)
            } catch {
                throw StepEnd(end: .writeFailed(error))
            }
            guard case .processed(let count) = outcome else { return false }
            pipeBytes -= count
            bytes &+= UInt64(count)
            splicedBytes &+= UInt64(count)
            if destination.idleTimeoutNanoseconds != 0 { destination.noteActivity() }
        }
        return true
    }

    private func switchToSplice() {
        releaseBuffer()
        // Out of descriptors: keep copying.
        pipe = try? source.reactor.pipePool.acquire(for: source.reactor)
        smallSplices = 0
    }

    private func switchToCopy() {
        if let pipe { source.reactor.pipePool.release(pipe, empty: pipeBytes == 0, for: source.reactor) }
        pipe = nil
        fullReads = 0
        nextReadSize = Self.smallChunk
    }

    // MARK: common

    /// Counts a read against this pass's budget; at the budget, asks for another turn next
    /// pass (so one busy pair cannot starve the reactor's other connections) and says stop.
    private func takeReadTurn() -> Bool {
        guard readsThisPass < Reactor.maxReadsPerEvent else {
            if !readAgainQueued && source.socket.readReady {
                readAgainQueued = true
                source.socket.readAgainNextPass()
            }
            return false
        }
        readsThisPass += 1
        return true
    }

    private func endOfStream() -> CopyEnd {
        // When the relay ends with this direction it closes both connections itself, so the
        // half-close would only cost a syscall before the close.
        if halfCloseAtEnd && !session.endsWith(self) { destination.socket.closeWrite() }
        return .endOfStream
    }

    private func finish(_ end: CopyEnd) {
        guard !isFinished else { return }
        isFinished = true
        if source.readPump === self {
            source.readPump = nil
            source.readBusy = false
        }
        if destination.writePump === self {
            destination.writePump = nil
            destination.writeBusy = false
        }
        releaseBuffer()
        if let pipe {
            source.reactor.pipePool.release(pipe, empty: pipeBytes == 0, for: source.reactor)
            self.pipe = nil
        }
        let result = CopyResult(bytes: bytes, splicedBytes: splicedBytes, end: end, endedFirst: session.nothingEndedYet)
        self.result = result
        session.finished(self, result)
    }
}
