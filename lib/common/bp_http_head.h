/* bp_http_head: checks the head of an HTTP/1.x request (request line and header
 * fields, up to the blank line) before libmicrohttpd parses it, so that every
 * request it would refuse with one of its own HTML pages is refused by us instead,
 * with an ErrorResponse: malformed request line or header (400), unknown HTTP
 * version (505), request-target too long (414), head too large (431), a
 * Content-Length that is not a number (400) or too large to read (413), an
 * unsupported Transfer-Encoding (501), Content-Length beside Transfer-Encoding
 * (400, request smuggling), HTTP/1.1 without one Host (400).
 *
 * Pure: no I/O, no allocation; called by the connection gate (bp_http_gate) and by
 * the fuzz and unit tests. */
#ifndef BP_HTTP_HEAD_H
#define BP_HTTP_HEAD_H

#include <stdbool.h>
#include <stddef.h>

/* Limits the checks apply. */
#define BP_HTTP_HEAD_MAX_TARGET 8192 /* bytes of the request-target (414 beyond) */
#define BP_HTTP_HEAD_MAX_BYTES 32768 /* bytes of the whole head (431 beyond) */

/* Why a head is refused: an HTTP status, an errorCode and a message for people. */
typedef struct {
    int status;
    const char *code;
    const char *message;
} bp_http_head_verdict;

/* Length of the head at the start of buf[0..len) through its blank line (CRLF CRLF,
 * or bare LFs), leading empty lines included; 0 while the head is incomplete. */
size_t bp_http_head_length(const char *buf, size_t len);

/* Checks a complete head of `len` bytes (as found by bp_http_head_length). Returns
 * true when it may be handed to the HTTP parser; false after filling `v`. */
bool bp_http_head_check(const char *head, size_t len, bp_http_head_verdict *v);

/* Checks an incomplete head of `len` bytes that has reached the size limit, or
 * whose client stopped sending: fills `v` with 414 when the request line alone is
 * too long, else 431 (or 400 when what arrived is already malformed). */
void bp_http_head_check_partial(const char *head, size_t len, bp_http_head_verdict *v);

/* The path of the request line at the start of head[0..len) (the target up to '?'),
 * for the `path` of an ErrorResponse: written into out (at most size - 1 bytes) when it
 * is visible ASCII, else "". */
void bp_http_head_path(const char *head, size_t len, char *out, size_t size);

/* True when a raw (still percent-encoded) request-target holds a control character,
 * as a byte or percent-encoded (%00-%1F, %7F): a path or query value that decodes to
 * one must be refused, never matched as a shorter path. */
bool bp_http_target_has_control(const char *target);

#endif
