// Declarations Glibc's Swift module does not export: epoll, eventfd, and the
// _GNU_SOURCE calls (accept4). Thin wrappers only; the logic lives in Swift.
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

int cel_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags);
int cel_sched_cpu_count(void);
int cel_errno(void);
int cel_set_thread_name(pthread_t thread, const char *name);
void cel_set_errno(int value);

#endif
