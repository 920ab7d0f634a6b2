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

    init(receiving: Bool) {
        let count = MessageVector.capacity
        headers = .allocate(capacity: count)
        headers.initialize(repeating: cel_mmsghdr(), count: count)
        vectors = .allocate(capacity: count)
        vectors.initialize(repeating: iovec(), count: count)
        addresses = .allocate(capacity: count)
        addresses.initialize(repeating: sockaddr_storage(), count: count)
        controlSpace = (Int(cel_pktinfo_space()) + 15) & ~15
        controls = .allocate(byteCount: controlSpace * count, alignment: 16)
        slots = receiving ? .allocate(byteCount: count * MessageVector.slotSize, alignment: 64) : nil
    }

    deinit {
        headers.deallocate()
        vectors.deallocate()
        addresses.deallocate()
        controls.deallocate()
        slots?.deallocate()
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

    /// Points message `index` at `bytes`, addressed to `destination` (nil on a connected
    /// socket) and, when `source` is given, sent from that address (IP_PKTINFO/IPV6_PKTINFO).
    @inline(__always)
    func prepareSend(_ index: Int, bytes: UnsafeRawBufferPointer, to destination: SocketAddress?, from source: SocketAddress?) {
        vectors[index] = iovec(iov_base: UnsafeMutableRawPointer(mutating: bytes.baseAddress), iov_len: bytes.count)
        var nameLength: socklen_t = 0
        if let destination {
            nameLength = destination.withSockAddr { address, length in
                UnsafeMutableRawPointer(addresses + index).copyMemory(from: address, byteCount: Int(length))
                return length
            }
        }
        var controlLength = 0
        if let source {
            controlLength = source.withSockAddr { address, _ in
                Int(cel_pktinfo_source(controls + index * controlSpace, controlSpace, address))
            }
        }
        headers[index].msg_hdr = msghdr(
            msg_name: destination == nil ? nil : UnsafeMutableRawPointer(addresses + index),
            msg_namelen: nameLength, msg_iov: vectors + index, msg_iovlen: 1,
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
