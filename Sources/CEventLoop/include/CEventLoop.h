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

/* splice(2) and pipe2(2), for zero-copy relays between sockets. */
long cel_splice(int fd_in, int fd_out, size_t length, unsigned int flags);
int cel_pipe2(int fds[2], int flags);
int cel_pipe_set_size(int fd, int size);
extern const unsigned int CEL_SPLICE_F_MOVE;
extern const unsigned int CEL_SPLICE_F_NONBLOCK;

#endif
