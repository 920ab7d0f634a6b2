import Glibc

/// Sending on a datagram socket: one datagram at once (`sendNow`), batches through the
/// reactor's send vector (`sendDatagrams`, with segmentation offload), and the handler level's
/// queue (`send`, `flush`). Reactor thread only (the public methods check it, see
/// ``DatagramSocket``).
extension DatagramSocket {
    /// Sends one datagram now, without queueing: `.processed(bytes)` or `.wouldBlock`.
    /// `destination` is nil on a connected socket; `source` (with packet info) picks the local
    /// address it leaves from. Reactor thread only. Throws ``NetError`` (`write`, the
    /// destination, the errno: EMSGSIZE, ECONNREFUSED, EACCES for broadcast without the option).
    public func sendNow(_ bytes: UnsafeRawBufferPointer, to destination: SocketAddress? = nil,
                        from source: SocketAddress? = nil) throws(NetError) -> IOResult<Int> {
        reactor.checkConfined("DatagramSocket", "sendNow")
        return try sendNowUnchecked(bytes, to: destination, from: source)
    }

    /// ``sendNow(_:to:from:)`` once the thread is checked (``UDPConn`` checks its own).
    @inline(__always)
    func sendNowUnchecked(_ bytes: UnsafeRawBufferPointer, to destination: SocketAddress?,
                          from source: SocketAddress?) throws(NetError) -> IOResult<Int> {
        guard fd >= 0 else { throw netError(.closed, "write", peer: destination) }
        reactor.assertOnReactor()
        guard writeReady else { return .wouldBlock }
        let result = try Syscall.send(fd, bytes, to: destination, from: source, at: endpoints)
        switch result {
        case .processed(let count): noteSent(calls: 1, datagrams: 1, bytes: count)
        case .wouldBlock: blockedOnWrite()
        }
        return result
    }

    /// Sends up to 64 datagrams (`datagram(i)` gives each) with one `sendmmsg`, runs of
    /// small datagrams to one destination merged into segmented sends (see
    /// ``MessageVector/prepareSends(count:segmentation:_:)``): `.processed(n)` with the n ≥ 1
    /// datagrams sent (in order), or `.wouldBlock`. Throws the error of the first message the
    /// kernel refused, after setting ``lastRefusedDatagrams`` to the datagrams it carried. A
    /// kernel without segmentation offload for this socket turns it off here, once, and the
    /// same datagrams are sent one by one.
    func sendDatagrams(count: Int, _ datagram: (Int) -> MessageVector.Outgoing) throws(NetError) -> IOResult<Int> {
        guard writeReady else { return .wouldBlock }
        let vector = reactor.sendVector
        while true {
            let messages = vector.prepareSends(count: min(count, MessageVector.capacity), segmentation: segmentation, datagram)
            let result: IOResult<Int>
            do {
                // sendmmsg fails only when its first message is refused: the error names that
                // message's destination (on an unconnected socket), as a single send does.
                result = try Syscall.sendBatch(fd, vector, count: messages, at: endpoints.to(datagram(0).destination))
            } catch {
                if vector.datagramCounts[0] > 1, segmentation, let code = error.errno,
                   [EIO, EINVAL, ENOPROTOOPT, EOPNOTSUPP].contains(code) {
                    segmentation = false  // no offload here: send them as separate messages
                    continue
                }
                lastRefusedDatagrams = vector.datagramCounts[0]
                throw error
            }
            guard case .processed(let sent) = result else {
                blockedOnWrite()
                return .wouldBlock
            }
            var datagrams = 0
            var bytes = 0
            for message in 0..<sent {
                datagrams += vector.datagramCounts[message]
                bytes += vector.byteCounts[message]
            }
            noteSent(calls: 1, datagrams: datagrams, bytes: bytes)
            return .processed(datagrams)
        }
    }

    /// A send would have blocked: wait for write readiness, watching write readiness meanwhile.
    func blockedOnWrite() {
        writeReady = false
        if !watchingWritable { watchWritable(true) }
    }

    /// Starts or stops watching write readiness. If epoll refuses (it does not for a registered
    /// socket), write readiness is assumed so that no sender waits for an edge that never comes.
    func watchWritable(_ on: Bool) {
        do {
            try reactor.modify(&registration, interest: on ? DatagramSocket.interestWithWritable : DatagramSocket.interest)
            watchingWritable = on
        } catch {
            writeReady = true
        }
    }

    @inline(__always)
    func noteSent(calls: Int, datagrams: Int, bytes: Int) {
        Counters.bump(counters.sendCalls, by: UInt64(calls))
        Counters.bump(counters.datagramsWritten, by: UInt64(datagrams))
        Counters.bump(counters.bytesWritten, by: UInt64(bytes))
    }

    /// Queues one datagram (its bytes are copied) to be sent with the others in one `sendmmsg`
    /// by ``flush()``; a queue of 64 flushes by itself. Datagrams that cannot go at once wait
    /// for the socket to turn writable; ``DatagramHandler/writable(_:)`` follows once all went.
    /// Reactor thread only. Throws ``NetError`` `.closed`, or an error of the flush it caused.
    public func send(_ bytes: UnsafeRawBufferPointer, to destination: SocketAddress? = nil, from source: SocketAddress? = nil) throws(NetError) {
        reactor.checkConfined("DatagramSocket", "send")
        guard fd >= 0 else { throw netError(.closed, "write", peer: destination) }
        if outbound.capacity == 0 { outbound = reactor.bufferPool.acquire(minimumCapacity: max(bytes.count, 16 * 1024)) }
        queued.append(Queued(offset: outbound.writerIndex, length: bytes.count, destination: destination, source: source))
        outbound.writeBytes(bytes)
        if queuedCount >= MessageVector.capacity { try flushQueued() }
    }

    /// Sends the queued datagrams, 64 per `sendmmsg` (runs of equal small ones to one
    /// destination as segmented sends, see ``DatagramOptions/segmentationOffload``), until the
    /// queue is empty or the socket would block (the rest then goes when it turns writable). A datagram the kernel refuses
    /// is dropped, counted, and its error thrown; the ones after it stay queued. Reactor thread only.
    public func flush() throws(NetError) {
        reactor.checkConfined("DatagramSocket", "flush")
        try flushQueued()
    }

    /// ``flush()`` once the thread is checked.
    func flushQueued() throws(NetError) {
        while queuedCount > 0 && writeReady && fd >= 0 {
            let count = min(queuedCount, MessageVector.capacity)
            let base = outbound.storage.bytes + outbound.base
            let head = queuedHead
            do {
                let result = try queued.withUnsafeBufferPointer { entries throws(NetError) in
                    try sendDatagrams(count: count) { index in
                        let entry = entries[head + index]
                        return MessageVector.Outgoing(bytes: UnsafeRawBufferPointer(start: base + entry.offset, count: entry.length),
                                                      destination: entry.destination, source: entry.source)
                    }
                }
                guard case .processed(let sent) = result else { return }
                queuedHead += sent
            } catch {
                Counters.bump(counters.sendErrors, by: UInt64(lastRefusedDatagrams))
                queuedHead += lastRefusedDatagrams
                resetQueueIfEmpty()
                throw error
            }
            resetQueueIfEmpty()
        }
    }

    func resetQueueIfEmpty() {
        guard queuedCount == 0 else { return }
        queued.removeAll(keepingCapacity: true)
        queuedHead = 0
        if !reactor.bufferPool.recycle(&outbound) { outbound = ByteBuffer() }
    }

    /// The socket turned writable with datagrams queued: send them, report refusals.
    func flushFromEvent() {
        while queuedCount > 0 && writeReady && fd >= 0 {
            do {
                try flushQueued()
            } catch {
                if case .handler(let handler) = delegate { handler.sendFailed(self, error: error) }
            }
        }
        if queuedCount == 0, fd >= 0, case .handler(let handler) = delegate { handler.writable(self) }
    }
}
