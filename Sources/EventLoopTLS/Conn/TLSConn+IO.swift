import EventLoop

/// Reading and writing a ``TLSConn``.
extension TLSConn {
    /// See `Conn/read(into:)`: decrypts what has arrived into `buffer` (an empty one gets a
    /// pooled 16 KiB chunk, one TLS record, and gives it back while the read waits); 0 only
    /// after the peer's `close_notify`. Throws `NetError` (`.timeout`, `.closed`, errno,
    /// `.concurrentOperation`), ``TLSError`` (``TLSError/Code/truncated`` for a TCP close
    /// without `close_notify`) or `CancellationError`.
    public func read(into buffer: inout ByteBuffer) async throws -> Int {
        if reactor.isCurrent { return try await readOnReactor(into: &buffer) }
        return try await readAfterHop(into: &buffer)
    }

    @concurrent
    private func readAfterHop(into buffer: inout ByteBuffer) async throws -> Int {
        try await withTaskExecutorPreference(reactor) { try await self.readOnPreferredExecutor(into: &buffer) }
    }

    @concurrent
    private func readOnPreferredExecutor(into buffer: inout ByteBuffer) async throws -> Int {
        guard reactor.isCurrent else { throw netError(.reactorStopped, "read") }
        return try await readOnReactor(into: &buffer)
    }

    private nonisolated(nonsending) func readOnReactor(into buffer: inout ByteBuffer) async throws -> Int {
        guard tcp.socket.isOpen else { throw netError(.closed, "read") }
        guard !readBusy else { throw netError(.concurrentOperation, "read") }
        readBusy = true
        defer { readBusy = false }
        while true {
            try tcp.checkReadDeadline()
            if buffer.writableBytes == 0 {
                if buffer.readableBytes == 0 {
                    buffer = reactor.bufferPool.acquire(minimumCapacity: 16 * 1024)
                } else {
                    _ = buffer.discardReadBytes()
                    buffer.reserveCapacity(minimumWritableBytes: 16 * 1024)
                }
            }
            let engine = self.engine
            var progress = TLSProgress.wantRead
            _ = try buffer.withUnsafeMutableWritableBytes { space in
                progress = try engine.read(into: space)
                if case .done(let count) = progress { return count }
                return 0
            }
            switch progress {
            case .done(let count):
                return count
            case .ended:
                releaseIfEmpty(&buffer)
                return 0
            case .wantRead:
                releaseIfEmpty(&buffer)
                try await tcp.waitUntilReadable()
            case .wantWrite:
                try await tcp.waitUntilWritable()
            }
        }
    }

    /// An empty buffer gives its chunk back before the read waits (an idle connection holds none).
    private func releaseIfEmpty(_ buffer: inout ByteBuffer) {
        guard buffer.readableBytes == 0, buffer.capacity > 0 else { return }
        if !reactor.bufferPool.recycle(&buffer) { buffer = ByteBuffer() }
    }

    /// See `Conn/write(_:)`: encrypts and writes every readable byte of `buffer`, suspending
    /// while the peer is slow. Throws `NetError` (`.timeout`, `.closed`, `.outputClosed`,
    /// errno), ``TLSError`` or `CancellationError`.
    public func write(_ buffer: ByteBuffer) async throws {
        try await onReactor("write") { conn in try await conn.writeOnReactor(buffer) }
    }

    /// See `Conn/write(contentsOf:)`: the buffers in order (each its own records).
    public func write(contentsOf buffers: [ByteBuffer]) async throws {
        try await onReactor("write") { conn in
            for buffer in buffers { try await conn.writeOnReactor(buffer) }
        }
    }

    private nonisolated(nonsending) func writeOnReactor(_ buffer: ByteBuffer) async throws {
        guard tcp.socket.isOpen else { throw netError(.closed, "write") }
        guard !writeBusy else { throw netError(.concurrentOperation, "write") }
        writeBusy = true
        defer { writeBusy = false }
        var offset = 0
        let engine = self.engine
        while offset < buffer.readableBytes {
            try tcp.checkWriteDeadline()
            let progress = try buffer.withUnsafeReadableBytes { bytes in
                try engine.write(UnsafeRawBufferPointer(rebasing: bytes[offset...]))
            }
            switch progress {
            case .done(let count): offset += count
            case .ended: throw netError(.closed, "write")
            case .wantRead: try await tcp.waitUntilReadable()
            case .wantWrite: try await tcp.waitUntilWritable()
            }
        }
    }
}
