/* bp_http_gate: the front door of bp_http. It owns the listening socket and every
 * client connection until the head of its first request is complete and sound,
 * then hands the connection to libmicrohttpd; it keeps track of the connection
 * until MHD closes it.
 *
 * What it enforces, the way hardened servers do (nginx's limit_conn and
 * client_header_timeout / client_body_timeout, Go's ReadHeaderTimeout):
 *   - a limit of connections per client address, and of all connections;
 *   - an absolute deadline for the request line and headers (from the connection's
 *     start, or from the end of the previous response on a kept-alive connection),
 *     and one for the whole body (from the end of the headers): a client sending one
 *     byte now and then cannot hold a connection past them;
 *   - a first request whose head MHD would refuse with an HTML page is answered
 *     here with a JSON ErrorResponse (bp_http_head);
 * and logs one line when it cuts a client off.
 *
 * Threads: one gate thread accepts, reads heads (MSG_PEEK: the bytes stay for MHD)
 * and checks deadlines every 100 ms. MHD's threads report each connection's phase
 * through the bp_http_gate_conn_* calls, which are thread-safe. */
#ifndef BP_HTTP_GATE_H
#define BP_HTTP_GATE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct bp_http_gate bp_http_gate;
typedef struct bp_http_gate_conn bp_http_gate_conn;

/* Hands an accepted socket whose first request head passed the checks to the HTTP
 * server. Returns false when the server refused it (it has closed the socket). */
typedef bool (*bp_http_gate_handover_fn)(void *cls, int fd, const struct sockaddr_in *addr);

typedef struct {
    const char *bind_address; /* IPv4 */
    int port;
    int max_connections;  /* all clients together */
    int max_per_client;   /* one client address; 0 = no limit */
    int header_timeout_s; /* request line and headers */
    int body_timeout_s;   /* the whole body, after the headers */
    bp_http_gate_handover_fn handover;
    void *cls;
} bp_http_gate_config;

/* Binds and listens, then starts the gate thread. Returns NULL and writes a message
 * into err on failure. */
bp_http_gate *bp_http_gate_start(const bp_http_gate_config *cfg, char *err, size_t errsize);

/* Stops accepting (closes the listening socket); connections already accepted go on. */
void bp_http_gate_quiesce(bp_http_gate *g);

/* Stops the gate thread and closes the connections it still owns (not those handed
 * over). Call before stopping MHD; free with bp_http_gate_free after it stopped. */
void bp_http_gate_stop(bp_http_gate *g);
void bp_http_gate_free(bp_http_gate *g);

/* MHD started serving socket `fd` (its notify-connection callback): returns the
 * gate's record of it, to keep as the socket context, or NULL when unknown. */
bp_http_gate_conn *bp_http_gate_conn_adopt(bp_http_gate *g, int fd);

/* The connection's phases, reported from MHD's threads (NULL is ignored):
 * headers done, the body may come (body deadline); the request is complete and
 * being answered (no deadline); the answer is sent, the next request may come
 * (header deadline again); and MHD closed it (the record is released). */
void bp_http_gate_conn_body(bp_http_gate *g, bp_http_gate_conn *c);
void bp_http_gate_conn_busy(bp_http_gate *g, bp_http_gate_conn *c);
void bp_http_gate_conn_idle(bp_http_gate *g, bp_http_gate_conn *c);
void bp_http_gate_conn_closed(bp_http_gate *g, bp_http_gate_conn *c);

#endif
