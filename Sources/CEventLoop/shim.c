#define _GNU_SOURCE
#include <sys/socket.h>
#include <sched.h>
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <unistd.h>
#include "CEventLoop.h"

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
