#define _GNU_SOURCE
#include <sys/socket.h>
#include <stddef.h>
#include <sched.h>
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <unistd.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdint.h>
#include "CEventLoop.h"

_Static_assert(sizeof(struct cel_mmsghdr) == sizeof(struct mmsghdr), "mmsghdr layout");
_Static_assert(offsetof(struct cel_mmsghdr, msg_len) == offsetof(struct mmsghdr, msg_len), "mmsghdr layout");

int cel_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags) {
    return accept4(fd, addr, len, flags);
}

int cel_sched_cpu_count(void) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) != 0) return -1;
    return CPU_COUNT(&set);
}

int cel_errno(void) { return errno; }
void cel_set_errno(int value) { errno = value; }

int cel_set_thread_name(pthread_t thread, const char *name) {
    return pthread_setname_np(thread, name);
}

const unsigned int CEL_SPLICE_F_MOVE = SPLICE_F_MOVE;
const unsigned int CEL_SPLICE_F_NONBLOCK = SPLICE_F_NONBLOCK;

long cel_splice(int fd_in, int fd_out, size_t length, unsigned int flags) {
    return (long)splice(fd_in, NULL, fd_out, NULL, length, flags);
}

int cel_pipe2(int fds[2], int flags) {
    return pipe2(fds, flags);
}

int cel_pipe_set_size(int fd, int size) {
    return fcntl(fd, F_SETPIPE_SZ, size);
}

int cel_recvmmsg(int fd, struct cel_mmsghdr *messages, unsigned int count, int flags) {
    return recvmmsg(fd, (struct mmsghdr *)messages, count, flags, NULL);
}

int cel_sendmmsg(int fd, struct cel_mmsghdr *messages, unsigned int count, int flags) {
    return sendmmsg(fd, (struct mmsghdr *)messages, count, flags);
}

size_t cel_control_space(void) {
    return CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(uint16_t));
}

int cel_pktinfo_destination(const struct msghdr *message, struct sockaddr_storage *out) {
    for (struct cmsghdr *c = CMSG_FIRSTHDR(message); c != NULL; c = CMSG_NXTHDR((struct msghdr *)message, c)) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
            struct in_pktinfo info;
            memcpy(&info, CMSG_DATA(c), sizeof(info));
            struct sockaddr_in *address = (struct sockaddr_in *)out;
            memset(address, 0, sizeof(*address));
            address->sin_family = AF_INET;
            address->sin_addr = info.ipi_addr;
            return 1;
        }
        if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
            struct in6_pktinfo info;
            memcpy(&info, CMSG_DATA(c), sizeof(info));
            struct sockaddr_in6 *address = (struct sockaddr_in6 *)out;
            memset(address, 0, sizeof(*address));
            address->sin6_family = AF_INET6;
            address->sin6_addr = info.ipi6_addr;
            return 1;
        }
    }
    return 0;
}

size_t cel_send_control(void *control, size_t capacity, const struct sockaddr *source, unsigned short segment) {
    struct msghdr message;
    memset(&message, 0, sizeof(message));
    message.msg_control = control;
    message.msg_controllen = capacity;
    size_t length = 0;
    if (capacity < cel_control_space()) return 0;
    memset(control, 0, cel_control_space());
    struct cmsghdr *c = CMSG_FIRSTHDR(&message);
    if (source != NULL && source->sa_family == AF_INET) {
        c->cmsg_level = IPPROTO_IP;
        c->cmsg_type = IP_PKTINFO;
        c->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
        struct in_pktinfo info;
        memset(&info, 0, sizeof(info));
        info.ipi_spec_dst = ((const struct sockaddr_in *)source)->sin_addr;
        memcpy(CMSG_DATA(c), &info, sizeof(info));
        length += CMSG_SPACE(sizeof(struct in_pktinfo));
        c = (struct cmsghdr *)((char *)control + length);
    } else if (source != NULL && source->sa_family == AF_INET6) {
        c->cmsg_level = IPPROTO_IPV6;
        c->cmsg_type = IPV6_PKTINFO;
        c->cmsg_len = CMSG_LEN(sizeof(struct in6_pktinfo));
        struct in6_pktinfo info;
        memset(&info, 0, sizeof(info));
        info.ipi6_addr = ((const struct sockaddr_in6 *)source)->sin6_addr;
        memcpy(CMSG_DATA(c), &info, sizeof(info));
        length += CMSG_SPACE(sizeof(struct in6_pktinfo));
        c = (struct cmsghdr *)((char *)control + length);
    }
    if (segment != 0) {
        c->cmsg_level = SOL_UDP;
        c->cmsg_type = UDP_SEGMENT;
        c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
        uint16_t size = segment;
        memcpy(CMSG_DATA(c), &size, sizeof(size));
        length += CMSG_SPACE(sizeof(uint16_t));
    }
    return length;
}
