// tls-floor-echo: the floor for EventLoopTLS's benchmarks. The least a TLS echo server on the
// system's OpenSSL 3 can do per connection: one thread, edge-triggered epoll, non-blocking
// sockets with OpenSSL's own socket BIO, TLS 1.2 and 1.3, OpenSSL's default ciphers, session
// tickets and server-side session cache at their defaults, SSL_MODE_RELEASE_BUFFERS. Whatever
// the library spends beyond this server is the library's overhead.
//
//   tls-floor-echo --port PORT --cert CHAIN.pem --key KEY.pem [--host 127.0.0.1]
//
// Loopback by default. Prints "listening on HOST:PORT" once ready; stops on SIGTERM/SIGINT.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

enum { READ_CHUNK = 16384, MAX_EVENTS = 256 };

// One connection: its SSL object and the echoed bytes not yet accepted by SSL_write.
typedef struct connection {
    int fd;
    SSL *ssl;
    int handshaken;
    unsigned char *pending;  // bytes read but not yet written (back-pressure), or NULL
    size_t pending_length;
} connection;

static volatile sig_atomic_t stopping = 0;
static void on_signal(int signal_number) { (void)signal_number; stopping = 1; }

static void die(const char *what) {
    fprintf(stderr, "tls-floor-echo: %s: %s\n", what, strerror(errno));
    ERR_print_errors_fp(stderr);
    exit(1);
}

static void close_connection(connection *c) {
    if (c->ssl) SSL_free(c->ssl);
    close(c->fd);
    free(c->pending);
    free(c);
}

// Writes what is pending; returns 0 when all of it went, 1 when the socket is full, -1 on error.
static int flush_pending(connection *c) {
    while (c->pending_length > 0) {
        size_t written = 0;
        if (SSL_write_ex(c->ssl, c->pending, c->pending_length, &written) == 1) {
            memmove(c->pending, c->pending + written, c->pending_length - written);
            c->pending_length -= written;
            continue;
        }
        int error = SSL_get_error(c->ssl, 0);
        if (error == SSL_ERROR_WANT_WRITE || error == SSL_ERROR_WANT_READ) return 1;
        return -1;
    }
    return 0;
}

// Drives one connection after a readiness event: handshake, then read and echo until the
// socket has nothing more. Returns -1 when the connection is finished.
static int service(connection *c) {
    if (!c->handshaken) {
        int result = SSL_accept(c->ssl);
        if (result != 1) {
            int error = SSL_get_error(c->ssl, result);
            return (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) ? 0 : -1;
        }
        c->handshaken = 1;
    }
    int flushed = flush_pending(c);
    if (flushed != 0) return flushed < 0 ? -1 : 0;
    unsigned char buffer[READ_CHUNK];
    for (;;) {
        size_t count = 0;
        if (SSL_read_ex(c->ssl, buffer, sizeof buffer, &count) != 1) {
            int error = SSL_get_error(c->ssl, 0);
            if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) return 0;
            if (error == SSL_ERROR_ZERO_RETURN) SSL_shutdown(c->ssl);
            return -1;
        }
        size_t written = 0;
        if (SSL_write_ex(c->ssl, buffer, count, &written) == 1) continue;
        int error = SSL_get_error(c->ssl, 0);
        if (error != SSL_ERROR_WANT_WRITE && error != SSL_ERROR_WANT_READ) return -1;
        // The socket is full: keep the rest (SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER allows the
        // retry from another address) and wait for writability.
        c->pending = malloc(count);
        if (!c->pending) return -1;
        memcpy(c->pending, buffer, count);
        c->pending_length = count;
        return 0;
    }
}

int main(int argc, char **argv) {
    const char *host = "127.0.0.1", *cert = NULL, *key = NULL;
    int port = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--port")) port = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--host")) host = argv[i + 1];
        else if (!strcmp(argv[i], "--cert")) cert = argv[i + 1];
        else if (!strcmp(argv[i], "--key")) key = argv[i + 1];
        else { fprintf(stderr, "unknown option %s\n", argv[i]); return 64; }
    }
    if (!cert || !key || port <= 0) {
        fprintf(stderr, "usage: tls-floor-echo --port PORT --cert CHAIN.pem --key KEY.pem [--host IPV4]\n");
        return 64;
    }
    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);

    SSL_CTX *context = SSL_CTX_new(TLS_server_method());
    if (!context) die("SSL_CTX_new");
    SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
    SSL_CTX_set_options(context, SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_mode(context, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (SSL_CTX_use_certificate_chain_file(context, cert) != 1) die(cert);
    if (SSL_CTX_use_PrivateKey_file(context, key, SSL_FILETYPE_PEM) != 1) die(key);

    int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (listener < 0) die("socket");
    int one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &address.sin_addr) != 1) { fprintf(stderr, "bad host %s\n", host); return 64; }
    if (bind(listener, (struct sockaddr *)&address, sizeof address) < 0) die("bind");
    if (listen(listener, 4096) < 0) die("listen");

    int poller = epoll_create1(EPOLL_CLOEXEC);
    if (poller < 0) die("epoll_create1");
    struct epoll_event listening = {.events = EPOLLIN, .data.ptr = NULL};
    if (epoll_ctl(poller, EPOLL_CTL_ADD, listener, &listening) < 0) die("epoll_ctl");
    printf("listening on %s:%d\n", host, port);
    fflush(stdout);

    struct epoll_event events[MAX_EVENTS];
    while (!stopping) {
        int ready = epoll_wait(poller, events, MAX_EVENTS, 200);
        if (ready < 0) { if (errno == EINTR) continue; die("epoll_wait"); }
        for (int i = 0; i < ready; i++) {
            connection *c = events[i].data.ptr;
            if (c == NULL) {
                for (;;) {
                    int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (fd < 0) break;
                    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    connection *fresh = calloc(1, sizeof *fresh);
                    if (!fresh) { close(fd); continue; }
                    fresh->fd = fd;
                    fresh->ssl = SSL_new(context);
                    if (!fresh->ssl || SSL_set_fd(fresh->ssl, fd) != 1) { close_connection(fresh); continue; }
                    struct epoll_event interest = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.ptr = fresh};
                    if (epoll_ctl(poller, EPOLL_CTL_ADD, fd, &interest) < 0) { close_connection(fresh); continue; }
                    if (service(fresh) < 0) close_connection(fresh);  // closing the fd unregisters it
                }
                continue;
            }
            if (service(c) < 0) close_connection(c);
        }
    }
    close(listener);
    SSL_CTX_free(context);
    return 0;
}
