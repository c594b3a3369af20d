/* bpt: helpers for integration tests against the real stack started by the
 * ctest fixture (PostgreSQL and Kafka on test ports). Each test binary gets its
 * own database and topics, starts the daemon under test itself, and talks to it
 * over HTTP with libcurl, to PostgreSQL with libpq and to Kafka with librdkafka.
 *
 * Environment (set by tests/CMakeLists.txt): BPT_PG_ADMIN_URL, BPT_KAFKA,
 * BPT_BIN_DIR, BPT_SOURCE_DIR, BPT_STATE_DIR. Failures abort the test with a
 * message (these are test helpers, not library code). */
#ifndef BPT_H
#define BPT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define BPT_API_KEY "test-writer-key-0123456789"
#define BPT_READ_KEY "test-reader-key-0123456789"

/* Reads an environment variable the fixture must set; aborts when missing. */
const char *bpt_env(const char *name);

/* Drops and creates database `name` on the test cluster; writes its URL into url. */
void bpt_db_create(const char *name, char *url, size_t size);

/* Runs a query on `url` and returns the first column of the first row as a new
 * string (caller frees), or NULL when there is no row. Aborts on SQL errors. */
char *bpt_sql(const char *url, const char *sql);
long bpt_sql_long(const char *url, const char *sql);

/* Creates a topic (ignores "already exists"). */
void bpt_topic_create(const char *topic, int partitions);

/* A daemon process under test. */
typedef struct {
    pid_t pid;
    int port;
    char log_path[512];
    char binary[512];
    char **env;
} bpt_proc;

/* Starts `binary` (a path below BPT_BIN_DIR, e.g. "services/contract/boissipay-contract")
 * with the current environment plus `env` ("K=V" strings, NULL-terminated), on `port`,
 * logging to a file named after `name`; waits until GET /health answers 200 (15 s). */
void bpt_proc_start(bpt_proc *p, const char *name, const char *binary, int port,
                    const char *const *env);

/* Sends `sig` and waits for the exit (10 s, then SIGKILL). Returns the exit status
 * (or 128+signal). */
int bpt_proc_stop(bpt_proc *p, int sig);

/* Starts the same process again (after a stop), same env and port. */
void bpt_proc_restart(bpt_proc *p);

/* Sets or replaces one "K=V" variable for the next (re)start. */
void bpt_proc_setenv(bpt_proc *p, const char *kv);

/* Frees what bpt_proc_start allocated. */
void bpt_proc_free(bpt_proc *p);

/* Waits until GET url answers `status` (polling every 100 ms); false on timeout. */
bool bpt_wait_status(const char *url, int status, int timeout_ms);

/* An HTTP exchange. */
typedef struct {
    long status;
    json_t *json; /* parsed body or NULL */
    char *body;   /* raw body (NUL-terminated; may hold NULs: see body_len) */
    size_t body_len;
    char location[512];
    char content_type[128];
    char content_disposition[256];
} bpt_resp;

/* Sends a request. `key` NULL sends no Authorization; `body` NULL sends none;
 * extra_header ("Name: value") may be NULL. A JSON answer is checked with
 * bpt_money_walk (aborts on an amount that is not a Money object). Caller frees
 * with bpt_resp_free. */
bpt_resp bpt_http(const char *method, int port, const char *path, const char *key, const char *body,
                  const char *extra_header);
void bpt_resp_free(bpt_resp *r);

/* The errorCode of an ErrorResponse body ("" when not one). */
const char *bpt_error_code(const bpt_resp *r);

/* Reads every message of `topic` from the beginning until no message arrived for
 * idle_ms. Returns an array of {"key":..., "partition":..., "offset":..., "value": {...},
 * "headers": {name: value}}. */
json_t *bpt_consume_all(const char *topic, int idle_ms);

/* Produces one message (acks=all) and waits for its delivery; aborts on failure. */
void bpt_produce(const char *topic, const char *key, const char *value);

/* Runs a shell command; returns its exit status. */
int bpt_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A free TCP port on 127.0.0.1. */
int bpt_free_port(void);

/* Monotonic clock, in milliseconds and microseconds. */
long long bpt_now_ms(void);
long long bpt_now_us(void);

/* The minor units of the Money object `obj[name]` — every amount in responses
 * and events is {"amount":"21.08","currency":"EUR","minorUnits":2108}. Aborts,
 * naming `name`, unless it has exactly those three members, a string amount
 * with exactly the currency's decimals (EUR/USD 2, JPY 0, KWD 3; another
 * currency: any) whose digits are minorUnits, and `currency` when not NULL. */
long long bpt_money(const json_t *obj, const char *name, const char *currency);

/* Walks a whole response body or event: aborts when a member whose name looks
 * like an amount (amount*, total* but totalItems/totalPages, *Tax, *Price,
 * creditLimit, outstanding, available, base, tax) is a bare JSON number, or
 * is an object that bpt_money refuses. Returns how many Money objects it saw. */
int bpt_money_walk(const json_t *doc);

/* Milliseconds sleep. */
void bpt_sleep_ms(int ms);

/* Raw HTTP, for what libcurl will not send (NUL bytes, broken request lines, one
 * byte at a time) and from another loopback address than 127.0.0.1.
 * bpt_raw_connect: a blocking TCP socket from `source` (e.g. "127.0.0.2") to
 * 127.0.0.1:port; aborts on failure. bpt_raw_send: writes `len` bytes; false when
 * the server closed. bpt_raw_read: reads one response (status line, headers, then
 * Content-Length bytes of body, or until the server closes) within timeout_ms;
 * returns the HTTP status (0 when the connection ended or timed out first), the
 * Content-Type into ctype and the body into a new string *body (caller frees; may be
 * NULL). bpt_raw_closed: true when the server ended the connection within timeout_ms
 * (anything it sent before is read and dropped). */
int bpt_raw_connect(const char *source, int port);
bool bpt_raw_send(int fd, const void *data, size_t len);
int bpt_raw_read(int fd, int timeout_ms, char *ctype, size_t ctype_size, char **body);
bool bpt_raw_closed(int fd, int timeout_ms);

/* Decodes quoted-printable (soft breaks removed, =XX decoded, CRLF -> LF): the text of a
 * mail part. Caller frees. */
char *bpt_qp_decode(const char *s, size_t len);

/* The messages of `topic` (bpt_consume_all entries) whose CloudEvent type is one of
 * `types` (NULL-terminated) and whose data.invoiceRef is `invoice_ref` (NULL: any), in
 * order. Caller decrefs. */
json_t *bpt_events_of(const char *topic, const char *const *types, const char *invoice_ref);

#endif
