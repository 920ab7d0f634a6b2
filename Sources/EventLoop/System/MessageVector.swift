import CEventLoop
import Glibc

/// The memory of one `recvmmsg` or `sendmmsg` call: up to ``capacity`` message headers, their
/// iovecs, address slots and control space, and (for receiving) one 64 KiB slot per datagram.
///
/// A reactor owns one for receiving and one for sending, made on first use, so a socket that
/// does batched I/O costs no memory of its own for it, and a reactor that never does none at
/// all. Reactor thread only; the memory lives as long as the reactor. The receive slots are
/// virtual memory until a datagram lands in them: 64-byte datagrams touch one page per slot.
// @unchecked Sendable: never shared; created, used and freed on its reactor's thread (the
// reactor holds it, and the reactor is Sendable).
final class MessageVector: @unchecked Sendable {
    /// Datagrams per call at most (and per batch of the library's batch APIs).
    static let capacity = 64
    /// Bytes per receive slot: the largest UDP payload (65,507 over IPv4, 65,527 over IPv6) fits.
    static let slotSize = 65_536

    let headers: UnsafeMutablePointer<cel_mmsghdr>
    let vectors: UnsafeMutablePointer<iovec>
    let addresses: UnsafeMutablePointer<sockaddr_storage>
    let controls: UnsafeMutableRawPointer
    let controlSpace: Int
    /// Receive slots (`capacity` × `slotSize` bytes), nil for a send vector.
    let slots: UnsafeMutableRawPointer?
    /// For each prepared send message: how many datagrams and bytes it carries.
    let datagramCounts: UnsafeMutablePointer<Int>
    let byteCounts: UnsafeMutablePointer<Int>

    /// One datagram to send: its bytes, its destination (nil when connected) and the local
    /// address to send from (nil: the kernel's choice).
    struct Outgoing {
        var bytes: UnsafeRawBufferPointer
        var destination: SocketAddress?
        var source: SocketAddress?
    }

    /// Datagrams of at most this size may be merged into one segmented send (they then fit an
    /// Ethernet MTU as the kernel cuts them; larger ones go one by one).
    static let maxSegmentSize = 1_472
    /// Datagrams per segmented send at most (the kernel's UDP_MAX_SEGMENTS is 64 or more).
    static let maxSegments = 64
    /// Bytes per segmented send at most (well inside the 64 KiB of one IP packet).
    static let maxSegmentedBytes = 60_000

    init(receiving: Bool) {
        let count = MessageVector.capacity
        headers = .allocate(capacity: count)
        headers.initialize(repeating: cel_mmsghdr(), count: count)
        vectors = .allocate(capacity: count)
        vectors.initialize(repeating: iovec(), count: count)
        addresses = .allocate(capacity: count)
        addresses.initialize(repeating: sockaddr_storage(), count: count)
        controlSpace = (Int(cel_control_space()) + 15) & ~15
        controls = .allocate(byteCount: controlSpace * count, alignment: 16)
        slots = receiving ? .allocate(byteCount: count * MessageVector.slotSize, alignment: 64) : nil
        datagramCounts = .allocate(capacity: count)
        datagramCounts.initialize(repeating: 0, count: count)
        byteCounts = .allocate(capacity: count)
        byteCounts.initialize(repeating: 0, count: count)
    }

    deinit {
        headers.deallocate()
        vectors.deallocate()
        addresses.deallocate()
        controls.deallocate()
        slots?.deallocate()
        datagramCounts.deallocate()
        byteCounts.deallocate()
    }

    /// Points message `index` at its receive slot, its address slot and (when `control`) its
    /// control space.
    @inline(__always)
    func prepareReceive(_ index: Int, control: Bool) {
        vectors[index] = iovec(iov_base: slots! + index * MessageVector.slotSize, iov_len: MessageVector.slotSize)
        headers[index].msg_hdr = msghdr(
            msg_name: UnsafeMutableRawPointer(addresses + index),
            msg_namelen: socklen_t(MemoryLayout<sockaddr_storage>.size),
            msg_iov: vectors + index, msg_iovlen: 1,
            msg_control: control ? controls + index * controlSpace : nil,
            msg_controllen: control ? controlSpace : 0, msg_flags: 0)
        headers[index].msg_len = 0
    }

    /// Lays out `count` datagrams (at most ``capacity``) as send messages and returns how many
    /// messages that made. With `segmentation` on, a run of consecutive datagrams to the same
    /// destination from the same source, all of one size of at most ``maxSegmentSize`` (the
    /// last may be shorter), becomes one message with UDP_SEGMENT: the kernel sends them as
    /// one packet through the stack and cuts it into the same datagrams at the end (generic
    /// segmentation offload). Order is kept. `datagramCounts` and `byteCounts` say what each
    /// message carries.
    func prepareSends(count: Int, segmentation: Bool, _ datagram: (Int) -> Outgoing) -> Int {
        var message = 0
        var index = 0
        var next = count > 0 ? datagram(0) : nil
        while let first = next {
            vectors[index] = MessageVector.vector(first.bytes)
            var run = 1
            var total = first.bytes.count
            next = index + 1 < count ? datagram(index + 1) : nil
            let size = first.bytes.count
            if segmentation && size > 0 && size <= MessageVector.maxSegmentSize {
                while let candidate = next, run < MessageVector.maxSegments, candidate.bytes.count > 0,
                      candidate.bytes.count <= size, total + candidate.bytes.count <= MessageVector.maxSegmentedBytes,
                      candidate.destination == first.destination, candidate.source == first.source {
                    vectors[index + run] = MessageVector.vector(candidate.bytes)
                    total += candidate.bytes.count
                    run += 1
                    next = index + run < count ? datagram(index + run) : nil
                    if candidate.bytes.count < size { break }  // a shorter datagram ends a run
                }
            }
            prepareMessage(message, vectors: index, count: run, to: first.destination, from: first.source,
                           segment: run > 1 ? size : 0)
            datagramCounts[message] = run
            byteCounts[message] = total
            message += 1
            index += run
        }
        return message
    }

    @inline(__always)
    private static func vector(_ bytes: UnsafeRawBufferPointer) -> iovec {
        iovec(iov_base: UnsafeMutableRawPointer(mutating: bytes.baseAddress), iov_len: bytes.count)
    }

    /// Points message `index` at `count` iovecs from `first`, addressed to `destination` (nil
    /// on a connected socket), sent from `source` when given, cut into `segment`-byte
    /// datagrams when `segment` is not 0.
    private func prepareMessage(_ index: Int, vectors first: Int, count: Int, to destination: SocketAddress?,
                                from source: SocketAddress?, segment: Int) {
        var nameLength: socklen_t = 0
        if let destination {
            nameLength = destination.withSockAddr { address, length in
                UnsafeMutableRawPointer(addresses + index).copyMemory(from: address, byteCount: Int(length))
                return length
            }
        }
        var controlLength = 0
        if source != nil || segment != 0 {
            let control = controls + index * controlSpace
            if let source {
                controlLength = source.withSockAddr { address, _ in
                    Int(cel_send_control(control, controlSpace, address, UInt16(segment)))
                }
            } else {
                controlLength = Int(cel_send_control(control, controlSpace, nil, UInt16(segment)))
            }
        }
        headers[index].msg_hdr = msghdr(
            msg_name: destination == nil ? nil : UnsafeMutableRawPointer(addresses + index),
            msg_namelen: nameLength, msg_iov: vectors + first, msg_iovlen: count,
            msg_control: controlLength > 0 ? controls + index * controlSpace : nil,
            msg_controllen: controlLength, msg_flags: 0)
        headers[index].msg_len = 0
    }

    /// Message `index` after a receive: its bytes (at most a slot), its size on the wire (more
    /// than the bytes when truncated), its sender and, with packet info on, where it was sent to.
    @inline(__always)
    func received(_ index: Int, localPort: UInt16?) -> (bytes: UnsafeRawBufferPointer, length: Int, sender: SocketAddress, destination: SocketAddress?) {
        let header = headers + index
        let length = Int(header.pointee.msg_len)
        let stored = min(length, MessageVector.slotSize)
        let bytes = UnsafeRawBufferPointer(start: slots! + index * MessageVector.slotSize, count: stored)
        let sender = SocketAddress(storage: addresses + index, length: header.pointee.msg_hdr.msg_namelen) ?? SocketAddress.unnamed
        var destination: SocketAddress?
        if header.pointee.msg_hdr.msg_controllen > 0 {
            destination = MessageVector.packetDestination(UnsafePointer(header.pointer(to: \.msg_hdr)!), port: localPort)
        }
        return (bytes, length, sender, destination)
    }

    /// The destination address from a received message's packet-info control message.
    static func packetDestination(_ message: UnsafePointer<msghdr>, port: UInt16?) -> SocketAddress? {
        var storage = sockaddr_storage()
        guard cel_pktinfo_destination(message, &storage) == 1 else { return nil }
        let address = withUnsafePointer(to: &storage) { SocketAddress(storage: $0, length: socklen_t(MemoryLayout<sockaddr_storage>.size)) }
        return address.map { $0.withPort(port ?? 0) }
    }
}

extension SocketAddress {
    /// The address of an unbound Unix datagram socket (`unix:` with an empty path).
    static let unnamed = SocketAddress(storage: .unix(path: ""))
}
