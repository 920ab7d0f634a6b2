// Declarations Glibc's Swift module does not export: epoll, eventfd, the _GNU_SOURCE calls
// (accept4, recvmmsg, sendmmsg) and the control-message macros (CMSG_*) for IP_PKTINFO and
// IPV6_PKTINFO. Thin wrappers only; the logic lives in Swift.
#ifndef C_EVENT_LOOP_H
#define C_EVENT_LOOP_H

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/resource.h>
#include <sched.h>
#include <errno.h>
#include <pthread.h>
#include <netinet/in.h>

int cel_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags);
int cel_sched_cpu_count(void);
int cel_errno(void);
int cel_set_thread_name(pthread_t thread, const char *name);
void cel_set_errno(int value);

/* splice(2) and pipe2(2), for zero-copy relays between sockets. */
long cel_splice(int fd_in, int fd_out, size_t length, unsigned int flags);
int cel_pipe2(int fds[2], int flags);
int cel_pipe_set_size(int fd, int size);
extern const unsigned int CEL_SPLICE_F_MOVE;
extern const unsigned int CEL_SPLICE_F_NONBLOCK;

// One message of a recvmmsg/sendmmsg vector: the same layout as glibc's `struct mmsghdr`,
// which it declares only under _GNU_SOURCE (checked with a static assertion in shim.c).
struct cel_mmsghdr {
    struct msghdr msg_hdr;
    unsigned int msg_len;
};

int cel_recvmmsg(int fd, struct cel_mmsghdr *messages, unsigned int count, int flags);
int cel_sendmmsg(int fd, struct cel_mmsghdr *messages, unsigned int count, int flags);

// Control-message space for a packet-info message (the IPv6 one, the larger) and a UDP_SEGMENT
// message: what one received or sent datagram needs at most.
size_t cel_control_space(void);
// The destination address of a received datagram from its IP_PKTINFO or IPV6_PKTINFO control
// message, as a sockaddr_in or sockaddr_in6 (port 0) in *out. Returns 1 when found, else 0.
int cel_pktinfo_destination(const struct msghdr *message, struct sockaddr_storage *out);
// Writes the control messages of one send into `control`: IP_PKTINFO (AF_INET) or
// IPV6_PKTINFO (AF_INET6) making it go out from `source`'s address when `source` is not NULL,
// and UDP_SEGMENT (generic segmentation offload: the payload is cut into datagrams of
// `segment` bytes) when `segment` is not 0. Returns the length written, 0 for none.
size_t cel_send_control(void *control, size_t capacity, const struct sockaddr *source, unsigned short segment);

#endif
