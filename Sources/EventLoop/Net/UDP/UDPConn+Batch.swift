extension UDPConn {
    /// Reads up to `maxCount` datagrams (at most 64) with one `recvmmsg` and appends them to
    /// `datagrams`, each in a pooled buffer sized to it, with its sender and (packet info on)
    /// the address it was sent to; returns how many were appended (at least one). A datagram
    /// larger than 64 KiB (only Unix datagrams can be) arrives truncated and says so
    /// (``Datagram/isTruncated``). Waits while none is there. Keep the array between calls
    /// (and ``recycle(_:)`` it) so that a steady stream allocates nothing.
    /// Throws as ``read(into:)``.
    public nonisolated(nonsending) func read(into datagrams: inout [Datagram], maxCount: Int = 32) async throws -> Int {
        guard reactor.isCurrent else { return try await hop("read") { try await self.read(into: &datagrams, maxCount: maxCount) } }
        try beginRead()
        defer { readBusy = false }
        while true {
            try await yieldIfBusy()
            try readWait.checkDeadline()
            if socket.readReady, case .processed(let count) = try socket.receiveBatchNow(maxCount: maxCount) {
                consecutiveReads += 1
                let vector = reactor.receiveVector
                let pool = reactor.bufferPool
                let port = socket.localPort
                datagrams.reserveCapacity(datagrams.count + count)
                for index in 0..<count {
                    let message = vector.received(index, localPort: port)
                    var data = ByteBuffer()
                    if message.bytes.count > 0 {
                        data = pool.acquire(minimumCapacity: message.bytes.count)
                        data.writeBytes(message.bytes)
                    }
                    datagrams.append(Datagram(data: data, remoteAddress: message.sender, localAddress: message.destination,
                                              wireLength: message.length))
                }
                return count
            }
            try await waitForReadable()
        }
    }

    /// Sends every datagram of `datagrams`, in order, up to 64 per `sendmmsg`, each to its
    /// `remoteAddress` (nil: the connected peer) and from its `localAddress` when set. Runs of
    /// datagrams of one size (up to 1,472 bytes) to the same destination go as one segmented
    /// send (UDP generic segmentation offload: the peer still receives separate datagrams, the
    /// stack is crossed once per run; turned off by itself where the kernel lacks it). Waits
    /// while the send buffer is full. Throws the error of the first datagram the kernel
    /// refuses (those before it were sent), as ``write(_:to:)`` does.
    public nonisolated(nonsending) func write(contentsOf datagrams: [Datagram]) async throws {
        guard reactor.isCurrent else { return try await hop("write") { try await self.write(contentsOf: datagrams) } }
        try beginWrite()
        defer { writeBusy = false }
        var next = 0
        while next < datagrams.count {
            let first = next
            // The messages point into `datagrams`' buffers, which the array keeps alive and
            // unchanged until the call returns (no suspension in between).
            let outcome = try datagrams.withUnsafeBufferPointer { all throws(NetError) in
                try socket.sendDatagrams(count: all.count - first) { index in
                    let datagram = all[first + index]
                    let data = datagram.data
                    return MessageVector.Outgoing(
                        bytes: UnsafeRawBufferPointer(start: data.storage.bytes + data.base + data.readerIndex, count: data.readableBytes),
                        destination: datagram.remoteAddress, source: datagram.localAddress)
                }
            }
            switch outcome {
            case .processed(let sent): next += sent
            case .wouldBlock: try await waitForWritable()
            }
        }
    }

    /// Gives the buffers of `datagrams` back to the reactor's pool where this is their only
    /// reference, and empties the array (keeping its capacity). Call it on the socket's
    /// reactor (any task there) once the datagrams are dealt with; elsewhere it only empties
    /// the array (the buffers then find their way home when dropped). O(n).
    public func recycle(_ datagrams: inout [Datagram]) {
        if reactor.isCurrent {
            let pool = reactor.bufferPool
            for index in datagrams.indices { pool.recycle(&datagrams[index].data) }
        }
        datagrams.removeAll(keepingCapacity: true)
    }
}
