/* bp_http_gate: accepting, admitting and timing client connections (see the
 * header). DESIGN: one table of connection records, one per open client socket,
 * guarded by one mutex. The gate thread alone creates records (PENDING: it reads
 * the first head), answers refused heads itself (LINGER: the answer is sent, what
 * the client still sends is read and dropped for up to 2 s, so closing does not
 * reset the connection before the client read the answer), and hands sound ones to
 * MHD (HANDED, then HELD once MHD reports it started). The deadline of a record is
 * an atomic that MHD's threads move as the request goes; the gate thread compares it
 * with the clock every 100 ms, and cuts a HELD connection off with shutdown(2) under
 * the mutex: MHD reports the close (and releases the record) before it closes the
 * socket, so the descriptor cut is never another connection's. */
#include "bp_http_gate.h"

#include "bp_http.h"
#include "bp_http_head.h"
#include "bp_log.h"
#include "bp_metrics.h"
#include "bp_time.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define GATE_TICK_MS 100
#define GATE_LINGER_US 2000000
#define GATE_LOG_EVERY_US 1000000 /* refusals of one kind are logged at most once a second */

typedef enum { GC_FREE, GC_PENDING, GC_HANDED, GC_HELD, GC_LINGER } gc_state;
typedef enum { PH_HEADERS, PH_BODY, PH_BUSY, PH_NEXT } gc_phase;

struct bp_http_gate_conn {
    int fd;
    gc_state state; /* under the gate's mutex */
    struct sockaddr_in addr;
    char client[INET_ADDRSTRLEN];
    atomic_int phase;
    atomic_llong deadline_us; /* monotonic; 0 = none */
    int64_t since_us;         /* start of the current phase (for the log) */
};

struct bp_http_gate {
    bp_http_gate_config cfg;
    int listen_fd, epfd, wake_fd;
    pthread_t thread;
    bool thread_started;
    atomic_bool stopping, quiesce, quiesced;
    pthread_mutex_t mu;
    bp_http_gate_conn *conns;
    size_t cap, live;
    int64_t accept_paused_until;
    int64_t refusal_logged_us;
    unsigned refusals_unlogged;
};

/* ---------- records ---------- */

static void conn_release(bp_http_gate *g, bp_http_gate_conn *c)
{
    c->fd = -1;
    c->state = GC_FREE;
    atomic_store(&c->deadline_us, 0);
    g->live--;
}

static void conn_deadline(bp_http_gate_conn *c, gc_phase phase, int seconds)
{
    int64_t now = bp_time_mono_us();
    c->since_us = now;
    atomic_store(&c->phase, phase);
    atomic_store(&c->deadline_us, seconds > 0 ? now + (int64_t)seconds * 1000000 : 0);
}

static size_t client_connections(const bp_http_gate *g, in_addr_t ip)
{
    size_t n = 0;
    for (size_t i = 0; i < g->cap; i++)
        if (g->conns[i].state != GC_FREE && g->conns[i].addr.sin_addr.s_addr == ip)
            n++;
    return n;
}

/* ---------- answers the gate gives itself ---------- */

static const char *reason_phrase(int status)
{
    switch (status) {
    case 400:
        return "Bad Request";
    case 408:
        return "Request Timeout";
    case 413:
        return "Content Too Large";
    case 414:
        return "URI Too Long";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 501:
        return "Not Implemented";
    case 503:
        return "Service Unavailable";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Error";
    }
}

/* Writes an ErrorResponse on a fresh socket (best effort: it is small and the
 * socket's send buffer is empty) and counts it in the HTTP metrics. */
static void send_error(int fd, int status, const char *code, const char *message, const char *path)
{
    char *body = bp_http_error_text(status, code, message, path);
    size_t blen = body ? strlen(body) : 0;
    char head[256];
    int hlen = snprintf(head, sizeof head,
                        "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
                        "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                        status, reason_phrase(status), blen);
    struct iovec iov[2] = {{head, (size_t)hlen}, {body, blen}};
    struct msghdr msg = {.msg_iov = iov, .msg_iovlen = body ? 2 : 1};
    if (sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
        bp_log_debug("http: cannot send %d to a refused client: %s", status, strerror(errno));
    free(body);
    bp_metrics_http_observe("unmatched", "OTHER", status, 0.0);
}

/* Logs a refusal at accept time, at most once a second (a flood must not flood the log). */
static void log_refusal(bp_http_gate *g, const char *client, const char *why)
{
    int64_t now = bp_time_mono_us();
    if (now - g->refusal_logged_us < GATE_LOG_EVERY_US) {
        g->refusals_unlogged++;
        return;
    }
    bp_log_warn("http: refused a connection from %s: %s (%u more refusals not logged)", client, why,
                g->refusals_unlogged);
    g->refusal_logged_us = now;
    g->refusals_unlogged = 0;
}

/* Drops what the client sent; closes when it is done sending. */
static void linger_read(bp_http_gate *g, bp_http_gate_conn *c)
{
    char scratch[4096];
    for (;;) {
        ssize_t n = recv(c->fd, scratch, sizeof scratch, MSG_DONTWAIT);
        if (n > 0)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        close(c->fd);
        conn_release(g, c);
        return;
    }
}

/* Answers a PENDING connection and lets it linger. Called with the mutex held. */
static void conn_refuse(bp_http_gate *g, bp_http_gate_conn *c, int status, const char *code,
                        const char *message, const char *path)
{
    send_error(c->fd, status, code, message, path);
    shutdown(c->fd, SHUT_WR);
    c->state = GC_LINGER;
    atomic_store(&c->deadline_us, bp_time_mono_us() + GATE_LINGER_US);
    linger_read(g, c);
}

/* ---------- accepting ---------- */

static void gate_admit(bp_http_gate *g, int fd, const struct sockaddr_in *addr)
{
    char client[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &addr->sin_addr, client, sizeof client);
    pthread_mutex_lock(&g->mu);
    bp_http_gate_conn *slot = NULL;
    for (size_t i = 0; i < g->cap; i++) {
        bp_http_gate_conn *c = &g->conns[i];
        /* A record still holding this descriptor is stale: MHD closed a connection it
         * never started (it was over its own limit) without telling. */
        if (c->state != GC_FREE && c->fd == fd)
            conn_release(g, c);
        if (slot == NULL && c->state == GC_FREE)
            slot = c;
    }
    const char *why = NULL;
    if (slot == NULL) {
        why = "the server holds its maximum of connections";
        send_error(fd, 503, "SERVER_BUSY", "the server has too many connections; retry later", "");
    } else if (g->cfg.max_per_client > 0 &&
               client_connections(g, addr->sin_addr.s_addr) >= (size_t)g->cfg.max_per_client) {
        why = "this address holds its maximum of connections (BP_HTTP_MAX_CONNECTIONS_PER_CLIENT)";
        send_error(fd, 429, "TOO_MANY_CONNECTIONS",
                   "this client address holds too many connections; close some and retry", "");
    }
    if (why != NULL) {
        log_refusal(g, client, why);
        pthread_mutex_unlock(&g->mu);
        close(fd);
        return;
    }
    slot->fd = fd;
    slot->addr = *addr;
    memcpy(slot->client, client, sizeof client);
    slot->state = GC_PENDING;
    conn_deadline(slot, PH_HEADERS, g->cfg.header_timeout_s);
    g->live++;
    pthread_mutex_unlock(&g->mu);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.ptr = slot};
    if (epoll_ctl(g->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
        bp_log_warn("http: cannot watch a new connection: %s", strerror(errno));
        pthread_mutex_lock(&g->mu);
        close(fd);
        conn_release(g, slot);
        pthread_mutex_unlock(&g->mu);
    }
}

static void gate_accept(bp_http_gate *g)
{
    for (int i = 0; i < 64; i++) {
        struct sockaddr_in addr;
        socklen_t alen = sizeof addr;
        int fd =
            accept4(g->listen_fd, (struct sockaddr *)&addr, &alen, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            gate_admit(g, fd, &addr);
            continue;
        }
        if (errno == EINTR || errno == ECONNABORTED)
            continue;
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
            /* Out of descriptors: stop accepting for a tick instead of spinning. */
            bp_log_warn("http: cannot accept a connection: %s", strerror(errno));
            epoll_ctl(g->epfd, EPOLL_CTL_DEL, g->listen_fd, NULL);
            g->accept_paused_until = bp_time_mono_us() + GATE_TICK_MS * 1000;
        }
        return;
    }
}

/* ---------- the first request head ---------- */

static void gate_hand_over(bp_http_gate *g, bp_http_gate_conn *c)
{
    int fd = c->fd;
    struct sockaddr_in addr = c->addr;
    epoll_ctl(g->epfd, EPOLL_CTL_DEL, fd, NULL);
    pthread_mutex_lock(&g->mu);
    c->state = GC_HANDED;
    pthread_mutex_unlock(&g->mu);
    if (!g->cfg.handover(g->cfg.cls, fd, &addr)) { /* MHD closed the socket */
        pthread_mutex_lock(&g->mu);
        if (c->state == GC_HANDED && c->fd == fd)
            conn_release(g, c);
        pthread_mutex_unlock(&g->mu);
    }
}

static void gate_read_head(bp_http_gate *g, bp_http_gate_conn *c)
{
    char buf[BP_HTTP_HEAD_MAX_BYTES + 1];
    ssize_t n = recv(c->fd, buf, sizeof buf, MSG_PEEK | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    bp_http_head_verdict v = {0};
    if (n <= 0) { /* the client left (or reset) before sending a whole head */
        pthread_mutex_lock(&g->mu);
        close(c->fd);
        conn_release(g, c);
        pthread_mutex_unlock(&g->mu);
        return;
    }
    size_t len = bp_http_head_length(buf, (size_t)n);
    if (len == 0 && (size_t)n <= BP_HTTP_HEAD_MAX_BYTES)
        return; /* more to come */
    if (len == 0)
        bp_http_head_check_partial(buf, (size_t)n, &v);
    else if (bp_http_head_check(buf, len, &v)) {
        gate_hand_over(g, c);
        return;
    }
    bp_log_warn("http: refused a request from %s: %d %s (%s)", c->client, v.status, v.code,
                v.message);
    char path[256];
    bp_http_head_path(buf, (size_t)n, path, sizeof path);
    pthread_mutex_lock(&g->mu);
    conn_refuse(g, c, v.status, v.code, v.message, path);
    pthread_mutex_unlock(&g->mu);
}

static void gate_event(bp_http_gate *g, bp_http_gate_conn *c)
{
    if (c->state == GC_PENDING)
        gate_read_head(g, c);
    else if (c->state == GC_LINGER) {
        pthread_mutex_lock(&g->mu);
        linger_read(g, c);
        pthread_mutex_unlock(&g->mu);
    }
}

/* ---------- deadlines ---------- */

static const char *phase_text(int phase)
{
    return phase == PH_BODY ? "request body" : "request line and headers";
}

static void gate_expire(bp_http_gate *g, bp_http_gate_conn *c, int64_t now)
{
    int phase = atomic_load(&c->phase);
    double held = (double)(now - c->since_us) / 1e6;
    switch (c->state) {
    case GC_PENDING:
        bp_log_warn("http: cut off client %s: request line and headers not received within %d s",
                    c->client, g->cfg.header_timeout_s);
        conn_refuse(g, c, 408, "REQUEST_TIMEOUT",
                    "the request line and headers did not arrive in time", "");
        break;
    case GC_HANDED:
    case GC_HELD:
        /* MHD owns the socket: end it under its feet; MHD sees the end and closes. */
        shutdown(c->fd, SHUT_RDWR);
        atomic_store(&c->deadline_us, 0);
        if (phase == PH_NEXT)
            bp_log_debug("http: closed a kept-alive connection of %s idle for %.1f s", c->client,
                         held);
        else
            bp_log_warn("http: cut off client %s: %s not received within %d s", c->client,
                        phase_text(phase),
                        phase == PH_BODY ? g->cfg.body_timeout_s : g->cfg.header_timeout_s);
        break;
    case GC_LINGER:
        close(c->fd);
        conn_release(g, c);
        break;
    case GC_FREE:
        break;
    }
}

static void gate_sweep(bp_http_gate *g)
{
    int64_t now = bp_time_mono_us();
    pthread_mutex_lock(&g->mu);
    for (size_t i = 0; i < g->cap; i++) {
        bp_http_gate_conn *c = &g->conns[i];
        int64_t d = atomic_load(&c->deadline_us);
        if (c->state != GC_FREE && d != 0 && now >= d)
            gate_expire(g, c, now);
    }
    pthread_mutex_unlock(&g->mu);
    if (g->accept_paused_until != 0 && now >= g->accept_paused_until && g->listen_fd >= 0) {
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
        epoll_ctl(g->epfd, EPOLL_CTL_ADD, g->listen_fd, &ev);
        g->accept_paused_until = 0;
    }
}

static void *gate_main(void *arg)
{
    bp_http_gate *g = arg;
    struct epoll_event evs[64];
    int64_t swept = bp_time_mono_us();
    while (!atomic_load(&g->stopping)) {
        if (atomic_load(&g->quiesce) && g->listen_fd >= 0) {
            epoll_ctl(g->epfd, EPOLL_CTL_DEL, g->listen_fd, NULL);
            close(g->listen_fd);
            g->listen_fd = -1;
            atomic_store(&g->quiesced, true);
        }
        int n = epoll_wait(g->epfd, evs, 64, GATE_TICK_MS);
        for (int i = 0; i < n; i++) {
            void *p = evs[i].data.ptr;
            if (p == NULL) {
                if (g->listen_fd >= 0)
                    gate_accept(g);
            } else if (p == g) {
                uint64_t v;
                if (read(g->wake_fd, &v, sizeof v) < 0)
                    v = 0;
            } else {
                gate_event(g, p);
            }
        }
        int64_t now = bp_time_mono_us();
        if (now - swept >= GATE_TICK_MS * 1000) {
            gate_sweep(g);
            swept = now;
        }
    }
    return NULL;
}

/* ---------- life cycle ---------- */

static int gate_listen(const bp_http_gate_config *cfg, char *err, size_t errsize)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)cfg->port)};
    if (inet_pton(AF_INET, cfg->bind_address, &addr.sin_addr) != 1) {
        snprintf(err, errsize, "BP_HTTP_BIND '%s' is not an IPv4 address", cfg->bind_address);
        return -1;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(fd, 511) != 0) {
        snprintf(err, errsize, "cannot listen on %s:%d (%s)", cfg->bind_address, cfg->port,
                 strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

bp_http_gate *bp_http_gate_start(const bp_http_gate_config *cfg, char *err, size_t errsize)
{
    bp_http_gate *g = calloc(1, sizeof *g);
    size_t cap = cfg->max_connections > 0 ? (size_t)cfg->max_connections : 1;
    if (g == NULL || (g->conns = calloc(cap, sizeof *g->conns)) == NULL) {
        free(g);
        snprintf(err, errsize, "out of memory");
        return NULL;
    }
    g->cfg = *cfg;
    g->cap = cap;
    g->wake_fd = -1;
    g->epfd = -1;
    for (size_t i = 0; i < cap; i++)
        g->conns[i].fd = -1;
    pthread_mutex_init(&g->mu, NULL);
    g->listen_fd = gate_listen(cfg, err, errsize);
    if (g->listen_fd < 0) {
        bp_http_gate_free(g);
        return NULL;
    }
    g->epfd = epoll_create1(EPOLL_CLOEXEC);
    g->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    struct epoll_event lev = {.events = EPOLLIN, .data.ptr = NULL};
    struct epoll_event wev = {.events = EPOLLIN, .data.ptr = g};
    if (g->epfd < 0 || g->wake_fd < 0 ||
        epoll_ctl(g->epfd, EPOLL_CTL_ADD, g->listen_fd, &lev) != 0 ||
        epoll_ctl(g->epfd, EPOLL_CTL_ADD, g->wake_fd, &wev) != 0 ||
        pthread_create(&g->thread, NULL, gate_main, g) != 0) {
        snprintf(err, errsize, "cannot start the connection gate: %s", strerror(errno));
        bp_http_gate_free(g);
        return NULL;
    }
    g->thread_started = true;
    return g;
}

static void gate_wake(bp_http_gate *g)
{
    uint64_t one = 1;
    if (write(g->wake_fd, &one, sizeof one) < 0)
        bp_log_debug("http: cannot wake the gate: %s", strerror(errno));
}

void bp_http_gate_quiesce(bp_http_gate *g)
{
    if (g == NULL || !g->thread_started)
        return;
    atomic_store(&g->quiesce, true);
    gate_wake(g);
    for (int i = 0; i < 200 && !atomic_load(&g->quiesced); i++)
        usleep(1000);
}

void bp_http_gate_stop(bp_http_gate *g)
{
    if (g == NULL || !g->thread_started)
        return;
    atomic_store(&g->stopping, true);
    gate_wake(g);
    pthread_join(g->thread, NULL);
    g->thread_started = false;
    pthread_mutex_lock(&g->mu);
    for (size_t i = 0; i < g->cap; i++) {
        bp_http_gate_conn *c = &g->conns[i];
        if (c->state == GC_PENDING || c->state == GC_LINGER) {
            close(c->fd);
            conn_release(g, c);
        }
    }
    pthread_mutex_unlock(&g->mu);
}

void bp_http_gate_free(bp_http_gate *g)
{
    if (g == NULL)
        return;
    bp_http_gate_stop(g);
    if (g->listen_fd >= 0)
        close(g->listen_fd);
    if (g->epfd >= 0)
        close(g->epfd);
    if (g->wake_fd >= 0)
        close(g->wake_fd);
    pthread_mutex_destroy(&g->mu);
    free(g->conns);
    free(g);
}

/* ---------- phases reported by MHD's threads ---------- */

bp_http_gate_conn *bp_http_gate_conn_adopt(bp_http_gate *g, int fd)
{
    bp_http_gate_conn *found = NULL;
    pthread_mutex_lock(&g->mu);
    for (size_t i = 0; i < g->cap && found == NULL; i++)
        if (g->conns[i].state == GC_HANDED && g->conns[i].fd == fd) {
            found = &g->conns[i];
            found->state = GC_HELD;
        }
    pthread_mutex_unlock(&g->mu);
    return found;
}

void bp_http_gate_conn_body(bp_http_gate *g, bp_http_gate_conn *c)
{
    if (c != NULL)
        conn_deadline(c, PH_BODY, g->cfg.body_timeout_s);
}

void bp_http_gate_conn_busy(bp_http_gate *g, bp_http_gate_conn *c)
{
    (void)g;
    if (c != NULL)
        conn_deadline(c, PH_BUSY, 0);
}

void bp_http_gate_conn_idle(bp_http_gate *g, bp_http_gate_conn *c)
{
    if (c != NULL)
        conn_deadline(c, PH_NEXT, g->cfg.header_timeout_s);
}

void bp_http_gate_conn_closed(bp_http_gate *g, bp_http_gate_conn *c)
{
    if (c == NULL)
        return;
    pthread_mutex_lock(&g->mu);
    if (c->state == GC_HELD)
        conn_release(g, c);
    pthread_mutex_unlock(&g->mu);
}
