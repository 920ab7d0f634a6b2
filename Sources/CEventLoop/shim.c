#define _GNU_SOURCE
#include <sys/socket.h>
#include <sched.h>
#include <errno.h>
#include <pthread.h>
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
