/*
 * link-emulator: joins two network namespaces through a TUN device in each and forwards
 * every IP packet between them with an emulated link's conditions, for kernels without
 * sch_netem. Per direction: a token-bucket rate limit (serialisation at RATE, tail drop when
 * the queue holds more than --queue-ms of it), a delay of DELAY +- JITTER (uniform; order kept),
 * random loss, and reordering (a packet drawn for it gets --reorder-extra-ms more delay, so the
 * packets behind it overtake it). A blackhole mode drops everything: SIGUSR1 turns it on,
 * SIGUSR2 off. SIGINT/SIGTERM end it; it prints its counters then.
 *
 * Usage: link-emulator --ns-a /run/netns/A --ns-b /run/netns/B [--dev nl0] [--delay-ms 20]
 *        [--jitter-ms 5] [--loss-pct 1] [--reorder-pct 5] [--reorder-extra-ms 10]
 *        [--rate-mbit 50] [--queue-ms 100] [--seed N]
 * Every value may be 0 (off); --rate-mbit 0 is unlimited. Prints "ready" once both devices
 * exist (the caller then gives them addresses and brings them up).
 *
 * One thread, ppoll on the two TUN descriptors with a nanosecond timeout to the next release;
 * packets live in a fixed pool of slots and wait in one binary heap per direction, ordered by
 * release time.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define SLOT_SIZE 2048
#define SLOTS 16384

struct packet {
    uint64_t release_ns;
    uint64_t sequence;
    uint32_t length;
    uint32_t slot;
};

struct direction {
    const char *name;
    int from, to;
    struct packet heap[SLOTS];
    int count;
    uint64_t link_free_ns;    /* when the emulated wire finishes the last queued packet */
    uint64_t last_release_ns; /* release time of the last in-order packet */
    uint64_t forwarded, bytes, lost, reordered, queue_drops, blackholed, pool_drops, write_errors;
};

static struct {
    double delay_ns, jitter_ns, loss, reorder, reorder_extra_ns, rate_bps, queue_ns;
} cfg = {20e6, 5e6, 0.01, 0.05, 10e6, 50e6, 100e6};

static volatile sig_atomic_t blackhole, stop;
static unsigned char pool[SLOTS][SLOT_SIZE];
static uint32_t free_slots[SLOTS];
static int free_count;
static uint64_t rng_state = 0x9E3779B97F4A7C15ull, sequence;

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* xorshift64*: a uniform double in [0, 1). */
static double uniform(void) {
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (double)((rng_state * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

static int earlier(const struct packet *a, const struct packet *b) {
    return a->release_ns < b->release_ns || (a->release_ns == b->release_ns && a->sequence < b->sequence);
}

static void heap_push(struct direction *d, struct packet p) {
    int i = d->count++;
    while (i > 0) {
        int parent = (i - 1) / 2;
        if (!earlier(&p, &d->heap[parent])) break;
        d->heap[i] = d->heap[parent];
        i = parent;
    }
    d->heap[i] = p;
}

static struct packet heap_pop(struct direction *d) {
    struct packet top = d->heap[0], last = d->heap[--d->count];
    int i = 0;
    for (;;) {
        int child = 2 * i + 1;
        if (child >= d->count) break;
        if (child + 1 < d->count && earlier(&d->heap[child + 1], &d->heap[child])) child++;
        if (!earlier(&d->heap[child], &last)) break;
        d->heap[i] = d->heap[child];
        i = child;
    }
    if (d->count > 0) d->heap[i] = last;
    return top;
}

static int open_tun_in(const char *netns_path, const char *dev) {
    int ns = open(netns_path, O_RDONLY | O_CLOEXEC);
    if (ns < 0 || setns(ns, CLONE_NEWNET) != 0) {
        fprintf(stderr, "link-emulator: cannot enter %s: %s\n", netns_path, strerror(errno));
        exit(2);
    }
    close(ns);
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "link-emulator: cannot open /dev/net/tun: %s\n", strerror(errno));
        exit(2);
    }
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
    strncpy(ifr.ifr_name, dev, IFNAMSIZ - 1);
    if (ioctl(fd, TUNSETIFF, &ifr) != 0) {
        fprintf(stderr, "link-emulator: TUNSETIFF %s in %s: %s\n", dev, netns_path, strerror(errno));
        exit(2);
    }
    return fd;
}

/* Reads every packet waiting on d->from and queues (or drops) each. */
static void receive(struct direction *d) {
    for (int batch = 0; batch < 256; batch++) {
        if (free_count == 0) { /* no slot: read into a scratch buffer and drop */
            static unsigned char scratch[SLOT_SIZE];
            if (read(d->from, scratch, sizeof scratch) <= 0) return;
            d->pool_drops++;
            continue;
        }
        uint32_t slot = free_slots[free_count - 1];
        ssize_t n = read(d->from, pool[slot], SLOT_SIZE);
        if (n <= 0) return;
        uint64_t now = now_ns();
        if (blackhole) { d->blackholed++; continue; }
        if (cfg.loss > 0 && uniform() < cfg.loss) { d->lost++; continue; }
        uint64_t depart = now;
        if (cfg.rate_bps > 0) {
            uint64_t start = d->link_free_ns > now ? d->link_free_ns : now;
            if ((double)(start - now) > cfg.queue_ns) { d->queue_drops++; continue; }
            d->link_free_ns = start + (uint64_t)((double)n * 8.0 * 1e9 / cfg.rate_bps);
            depart = d->link_free_ns;
        }
        double jitter = cfg.jitter_ns > 0 ? (uniform() * 2.0 - 1.0) * cfg.jitter_ns : 0;
        double delay = cfg.delay_ns + jitter;
        uint64_t release = depart + (uint64_t)(delay > 0 ? delay : 0);
        if (cfg.reorder > 0 && uniform() < cfg.reorder) {
            release += (uint64_t)cfg.reorder_extra_ns;
            d->reordered++;
        } else {
            if (release < d->last_release_ns) release = d->last_release_ns;
            d->last_release_ns = release;
        }
        free_count--;
        heap_push(d, (struct packet){release, sequence++, (uint32_t)n, slot});
    }
}

/* Writes every packet whose release time has come; returns the next release time (0: none). */
static uint64_t release_due(struct direction *d, uint64_t now) {
    while (d->count > 0 && d->heap[0].release_ns <= now) {
        struct packet p = heap_pop(d);
        if (write(d->to, pool[p.slot], p.length) == (ssize_t)p.length) {
            d->forwarded++;
            d->bytes += p.length;
        } else {
            d->write_errors++;
        }
        free_slots[free_count++] = p.slot;
    }
    return d->count > 0 ? d->heap[0].release_ns : 0;
}

static void on_signal(int sig) {
    if (sig == SIGUSR1) blackhole = 1;
    else if (sig == SIGUSR2) blackhole = 0;
    else stop = 1;
}

static void print_counters(const struct direction *d, double seconds) {
    printf("link-emulator: %s forwarded %llu packets (%llu bytes, %.1f Mbit/s over %.1f s), lost %llu, reordered %llu,"
           " queue drops %llu, blackholed %llu, pool drops %llu, write errors %llu\n",
           d->name, (unsigned long long)d->forwarded, (unsigned long long)d->bytes,
           seconds > 0 ? (double)d->bytes * 8 / seconds / 1e6 : 0.0, seconds,
           (unsigned long long)d->lost, (unsigned long long)d->reordered, (unsigned long long)d->queue_drops,
           (unsigned long long)d->blackholed, (unsigned long long)d->pool_drops, (unsigned long long)d->write_errors);
}

static struct direction ab, ba;

int main(int argc, char **argv) {
    const char *ns_a = NULL, *ns_b = NULL, *dev = "nl0";
    unsigned long long seed = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        double x = atof(v);
        if (!strcmp(k, "--ns-a")) ns_a = v;
        else if (!strcmp(k, "--ns-b")) ns_b = v;
        else if (!strcmp(k, "--dev")) dev = v;
        else if (!strcmp(k, "--delay-ms")) cfg.delay_ns = x * 1e6;
        else if (!strcmp(k, "--jitter-ms")) cfg.jitter_ns = x * 1e6;
        else if (!strcmp(k, "--loss-pct")) cfg.loss = x / 100;
        else if (!strcmp(k, "--reorder-pct")) cfg.reorder = x / 100;
        else if (!strcmp(k, "--reorder-extra-ms")) cfg.reorder_extra_ns = x * 1e6;
        else if (!strcmp(k, "--rate-mbit")) cfg.rate_bps = x * 1e6;
        else if (!strcmp(k, "--queue-ms")) cfg.queue_ns = x * 1e6;
        else if (!strcmp(k, "--seed")) seed = strtoull(v, NULL, 10);
        else { fprintf(stderr, "link-emulator: unknown option %s\n", k); return 2; }
    }
    if (!ns_a || !ns_b) { fprintf(stderr, "usage: link-emulator --ns-a PATH --ns-b PATH [options]\n"); return 2; }
    if (seed == 0) seed = (unsigned long long)getpid() * 2654435761ull + (unsigned long long)now_ns();
    rng_state = seed;
    for (int i = 0; i < SLOTS; i++) free_slots[i] = (uint32_t)i;
    free_count = SLOTS;

    int fd_a = open_tun_in(ns_a, dev), fd_b = open_tun_in(ns_b, dev);
    ab = (struct direction){.name = "a->b", .from = fd_a, .to = fd_b};
    ba = (struct direction){.name = "b->a", .from = fd_b, .to = fd_a};

    sigset_t blocked, waiting;
    sigemptyset(&blocked);
    sigaddset(&blocked, SIGUSR1);
    sigaddset(&blocked, SIGUSR2);
    sigaddset(&blocked, SIGINT);
    sigaddset(&blocked, SIGTERM);
    sigprocmask(SIG_BLOCK, &blocked, &waiting);
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_signal;
    sigaction(SIGUSR1, &action, NULL);
    sigaction(SIGUSR2, &action, NULL);
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);

    printf("link-emulator: %s <-> %s via TUN %s, each way: delay %.1f ms +- %.1f ms, loss %.2f%%, reorder %.2f%% (+%.1f ms),"
           " rate %s%.1f Mbit/s, queue %.0f ms; seed %llu; blackhole: SIGUSR1 on, SIGUSR2 off\n",
           ns_a, ns_b, dev, cfg.delay_ns / 1e6, cfg.jitter_ns / 1e6, cfg.loss * 100, cfg.reorder * 100,
           cfg.reorder_extra_ns / 1e6, cfg.rate_bps > 0 ? "" : "unlimited ", cfg.rate_bps / 1e6, cfg.queue_ns / 1e6, seed);
    printf("ready\n");
    fflush(stdout);

    uint64_t started = now_ns();
    int was_blackhole = 0;
    while (!stop) {
        uint64_t now = now_ns();
        uint64_t next_ab = release_due(&ab, now), next_ba = release_due(&ba, now);
        uint64_t next = next_ab && (!next_ba || next_ab < next_ba) ? next_ab : next_ba;
        struct pollfd fds[2] = {{fd_a, POLLIN, 0}, {fd_b, POLLIN, 0}};
        struct timespec timeout, *wait = NULL;
        if (next) {
            uint64_t left = next > now ? next - now : 0;
            timeout.tv_sec = (time_t)(left / 1000000000ull);
            timeout.tv_nsec = (long)(left % 1000000000ull);
            wait = &timeout;
        }
        int ready = ppoll(fds, 2, wait, &waiting);
        if (blackhole != was_blackhole) {
            was_blackhole = blackhole;
            printf("link-emulator: blackhole %s\n", blackhole ? "on" : "off");
            fflush(stdout);
        }
        if (ready < 0) continue;
        if (fds[0].revents & POLLIN) receive(&ab);
        if (fds[1].revents & POLLIN) receive(&ba);
        if ((fds[0].revents | fds[1].revents) & (POLLERR | POLLHUP | POLLNVAL)) break;
    }
    double seconds = (double)(now_ns() - started) / 1e9;
    print_counters(&ab, seconds);
    print_counters(&ba, seconds);
    return 0;
}
