/* The HTTP layer every daemon shares (lib/common/bp_http*), tried the way an
 * attacker would, against the contract daemon: slow clients holding connections
 * (per-address limit, absolute deadlines for headers and body, a second client
 * still served fast), NUL and control characters in the path, query and body, and
 * the requests libmicrohttpd used to answer with HTML pages (they must be JSON
 * ErrorResponses). Raw sockets, since libcurl sends none of these. */
#include "contract_fixture.h"

#include <pthread.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#define HEADER_TIMEOUT_S 3
#define BODY_TIMEOUT_S 3
#define PER_CLIENT 64

static bpt_proc g_proc;
static char g_db[512];
static char *g_ref; /* an ACTIVE contract */

static int setup(void **state)
{
    (void)state;
    char v[32];
    snprintf(v, sizeof v, "%d", HEADER_TIMEOUT_S);
    setenv("BP_HTTP_HEADER_TIMEOUT_SECONDS", v, 1);
    snprintf(v, sizeof v, "%d", BODY_TIMEOUT_S);
    setenv("BP_HTTP_BODY_TIMEOUT_SECONDS", v, 1);
    snprintf(v, sizeof v, "%d", PER_CLIENT);
    setenv("BP_HTTP_MAX_CONNECTIONS_PER_CLIENT", v, 1);
    ctf_start(&g_proc, "http_hardening", "http_hardening_contract", g_db, sizeof g_db);
    g_ref = ctf_create(g_proc.port, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    bpt_proc_stop(&g_proc, SIGTERM);
    bpt_proc_free(&g_proc);
    free(g_ref);
    return 0;
}

/* Sends `len` raw bytes on a new connection from `source` and reads the answer;
 * checks it is a JSON ErrorResponse of `status`; returns its errorCode (static). */
static const char *raw_error(const char *source, const void *req, size_t len, int status)
{
    static char code[64];
    int fd = bpt_raw_connect(source, g_proc.port);
    assert_true(bpt_raw_send(fd, req, len));
    char ctype[128];
    char *body = NULL;
    int got = bpt_raw_read(fd, 5000, ctype, sizeof ctype, &body);
    close(fd);
    if (got != status)
        fprintf(stderr, "expected %d, got %d: %s\n", status, got, body ? body : "(none)");
    assert_int_equal(got, status);
    assert_string_equal(ctype, "application/json");
    json_error_t jerr;
    json_t *doc = json_loads(body, 0, &jerr);
    assert_non_null(doc);
    json_t *err = json_array_get(json_object_get(doc, "errors"), 0);
    assert_int_equal(json_integer_value(json_object_get(err, "status")), status);
    snprintf(code, sizeof code, "%s", json_string_value(json_object_get(err, "errorCode")));
    assert_non_null(json_object_get(err, "message"));
    json_decref(doc);
    free(body);
    return code;
}

static const char *raw_error_text(const char *req, int status)
{
    return raw_error("127.0.0.1", req, strlen(req), status);
}

static const char *contract_status(void)
{
    static char status[32];
    char path[128];
    snprintf(path, sizeof path, "/contracts/%s", g_ref);
    bpt_resp r = bpt_http("GET", g_proc.port, path, BPT_READ_KEY, NULL, NULL);
    assert_int_equal(r.status, 200);
    snprintf(status, sizeof status, "%s", json_string_value(json_object_get(r.json, "status")));
    bpt_resp_free(&r);
    return status;
}

/* Defect: GET /contracts/CTR-X%00anything answered 200 with CTR-X, and
 * POST /contracts/X%00junk/suspend was routed as /contracts/X. */
static void test_control_characters_in_path_and_query(void **state)
{
    (void)state;
    char path[256];
    const char *tails[] = {"%00anything-here", "%00", "%0a", "%1F", "%7f", "\x01"};
    for (size_t i = 0; i < sizeof tails / sizeof tails[0]; i++) {
        if (tails[i][0] == '\x01')
            continue; /* a raw control byte: see the raw test below */
        snprintf(path, sizeof path, "/contracts/%s%s", g_ref, tails[i]);
        bpt_resp r = bpt_http("GET", g_proc.port, path, BPT_READ_KEY, NULL, NULL);
        assert_int_equal(r.status, 400);
        assert_string_equal(bpt_error_code(&r), "VALIDATION_ERROR");
        bpt_resp_free(&r);
    }
    snprintf(path, sizeof path, "/contracts/%s%%00junk/suspend", g_ref);
    bpt_resp r = bpt_http("POST", g_proc.port, path, BPT_API_KEY, "{}", NULL);
    assert_int_equal(r.status, 400);
    bpt_resp_free(&r);
    assert_string_equal(contract_status(), "ACTIVE");

    r = bpt_http("GET", g_proc.port, "/contracts?customerRef=%00", BPT_READ_KEY, NULL, NULL);
    assert_int_equal(r.status, 400);
    bpt_resp_free(&r);
    r = bpt_http("GET", g_proc.port, "/contracts?customerRef=ACME%00x", BPT_READ_KEY, NULL, NULL);
    assert_int_equal(r.status, 400);
    bpt_resp_free(&r);
    /* A raw control byte in the request line never reaches a handler either. */
    assert_string_equal(raw_error_text("GET /contracts/\x01x HTTP/1.1\r\nHost: a\r\n\r\n", 400),
                        "MALFORMED_REQUEST");
    /* Percent-encoded ordinary bytes still work. */
    snprintf(path, sizeof path, "/contracts/%%43%s", g_ref + 1);
    r = bpt_http("GET", g_proc.port, path, BPT_READ_KEY, NULL, NULL);
    assert_int_equal(r.status, 200);
    bpt_resp_free(&r);
}

/* Defect: a body of one NUL byte counted as no body and suspended the contract. */
static void test_nul_bytes_in_body(void **state)
{
    (void)state;
    const char *bodies[] = {"\0", "{}\0", " \0 ", "{\"reason\":\"x\0\"}"};
    const size_t lens[] = {1, 3, 3, 15};
    for (size_t i = 0; i < 4; i++) {
        char req[512];
        int n = snprintf(req, sizeof req,
                         "POST /contracts/%s/suspend HTTP/1.1\r\nHost: a\r\n"
                         "Authorization: Bearer " BPT_API_KEY "\r\n"
                         "Content-Type: application/json\r\nContent-Length: %zu\r\n"
                         "Connection: close\r\n\r\n",
                         g_ref, lens[i]);
        memcpy(req + n, bodies[i], lens[i]);
        assert_string_equal(raw_error("127.0.0.1", req, (size_t)n + lens[i], 400),
                            "MALFORMED_JSON");
    }
    assert_string_equal(contract_status(), "ACTIVE");
    /* The JSON escape \u0000 is valid JSON: refused in a field the service reads, in
     * our own words (not the JSON library's). */
    char path[128];
    snprintf(path, sizeof path, "/contracts/%s/suspend", g_ref);
    bpt_resp r = bpt_http("POST", g_proc.port, path, BPT_API_KEY,
                          "{\"reason\":\"late\\u0000payment\"}", NULL);
    assert_int_equal(r.status, 400);
    assert_string_equal(bpt_error_code(&r), "VALIDATION_ERROR");
    assert_null(strstr(r.body, "JSON_ALLOW_NUL"));
    bpt_resp_free(&r);
    /* Valid JSON jansson cannot hold as written (\u0000 in a key, an integer past
     * int64) in members the service ignores is read: the answer is about `reason`. */
    const char *lax[] = {"{\"a\\u0000b\":1,\"reason\":5}",
                         "{\"x\":123456789012345678901234567890,\"reason\":5}"};
    for (size_t i = 0; i < 2; i++) {
        r = bpt_http("POST", g_proc.port, path, BPT_API_KEY, lax[i], NULL);
        assert_int_equal(r.status, 400);
        assert_string_equal(bpt_error_code(&r), "VALIDATION_ERROR");
        assert_non_null(strstr(r.body, "reason"));
        bpt_resp_free(&r);
    }
    assert_string_equal(contract_status(), "ACTIVE");
}

/* Defect: these came back as libmicrohttpd's HTML pages. */
static void test_http_layer_errors_are_json(void **state)
{
    (void)state;
    assert_string_equal(raw_error_text("POST /contracts HTTP/1.1\r\nHost: a\r\n"
                                       "Content-Length: 99999999999999999999999\r\n\r\n",
                                       413),
                        "PAYLOAD_TOO_LARGE");
    assert_string_equal(raw_error_text("GARBAGE\r\n\r\n", 400), "MALFORMED_REQUEST");
    assert_string_equal(raw_error_text("GET  /health HTTP/1.1\r\nHost: a\r\n\r\n", 400),
                        "MALFORMED_REQUEST");
    assert_string_equal(raw_error_text("GET /health HTTP/3.0\r\nHost: a\r\n\r\n", 505),
                        "HTTP_VERSION_NOT_SUPPORTED");
    assert_string_equal(raw_error_text("GET /health HTTP/0.9\r\nHost: a\r\n\r\n", 505),
                        "HTTP_VERSION_NOT_SUPPORTED");
    assert_string_equal(raw_error_text("GET /health HTTP/1.1\r\n\r\n", 400), "MALFORMED_REQUEST");
    assert_string_equal(
        raw_error_text("GET /health HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n\r\n", 400),
        "MALFORMED_REQUEST");
    assert_string_equal(raw_error_text("POST /contracts HTTP/1.1\r\nHost: a\r\n"
                                       "Content-Length: 12abc\r\n\r\n",
                                       400),
                        "MALFORMED_REQUEST");
    assert_string_equal(raw_error_text("POST /contracts HTTP/1.1\r\nHost: a\r\n"
                                       "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
                                       400),
                        "MALFORMED_REQUEST");
    assert_string_equal(raw_error_text("POST /contracts HTTP/1.1\r\nHost: a\r\n"
                                       "Transfer-Encoding: gzip\r\n\r\n",
                                       501),
                        "NOT_IMPLEMENTED");
    size_t big = 20000;
    char *req = malloc(big + 64);
    int n = snprintf(req, big + 64, "GET /");
    memset(req + n, 'a', big);
    snprintf(req + n + big, 64, " HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_string_equal(raw_error_text(req, 414), "URI_TOO_LONG");
    n = snprintf(req, big + 64, "GET /health HTTP/1.1\r\nHost: a\r\nX-Big: ");
    memset(req + n, 'b', big);
    snprintf(req + n + big, 64, "\r\nX-Big2: ");
    size_t at = strlen(req);
    req = realloc(req, at + big + 64);
    memset(req + at, 'c', big);
    snprintf(req + at + big, 64, "\r\n\r\n");
    assert_string_equal(raw_error_text(req, 431), "HEADERS_TOO_LARGE");
    free(req);
    /* A sound raw request is still served. */
    int fd = bpt_raw_connect("127.0.0.1", g_proc.port);
    const char *ok = "GET /health HTTP/1.1\r\nHost: a\r\n\r\n";
    assert_true(bpt_raw_send(fd, ok, strlen(ok)));
    char ctype[64];
    char *body = NULL;
    assert_int_equal(bpt_raw_read(fd, 5000, ctype, sizeof ctype, &body), 200);
    free(body);
    /* ... and a second request on the same kept-alive connection too. */
    assert_true(bpt_raw_send(fd, ok, strlen(ok)));
    assert_int_equal(bpt_raw_read(fd, 5000, ctype, sizeof ctype, &body), 200);
    free(body);
    close(fd);
}

typedef struct {
    int fds[PER_CLIENT];
    atomic_bool stop;
} trickle;

/* Sends one more byte of a never-ending header on each connection every 500 ms. */
static void *trickle_main(void *arg)
{
    trickle *t = arg;
    while (!atomic_load(&t->stop)) {
        for (int i = 0; i < PER_CLIENT; i++)
            if (t->fds[i] >= 0 && !bpt_raw_send(t->fds[i], "x", 1))
                t->fds[i] = -1;
        bpt_sleep_ms(500);
    }
    return NULL;
}

static int cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

/* Defect: 513 half-sent requests, one byte every 20 s, stopped the daemon serving
 * anyone, and one such connection stayed open past 100 s. */
static void test_slow_clients(void **state)
{
    (void)state;
    trickle t = {.stop = false};
    long long opened = bpt_now_ms();
    for (int i = 0; i < PER_CLIENT; i++) {
        t.fds[i] = bpt_raw_connect("127.0.0.1", g_proc.port);
        assert_true(bpt_raw_send(t.fds[i], "GET /health HTTP/1.1\r\nX-Slow: ", 30));
    }
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, trickle_main, &t), 0);
    bpt_sleep_ms(300);
    /* The address holds its quota: one more connection is refused, in JSON. */
    assert_string_equal(raw_error_text("GET /health HTTP/1.1\r\nHost: a\r\n\r\n", 429),
                        "TOO_MANY_CONNECTIONS");
    /* A second client is served, every time, fast. */
    enum { N = 200 };
    long long lat[N];
    const char *req = "GET /contracts?size=1 HTTP/1.1\r\nHost: a\r\n"
                      "Authorization: Bearer " BPT_READ_KEY "\r\nConnection: close\r\n\r\n";
    for (int i = 0; i < N; i++) {
        long long t0 = bpt_now_us();
        int fd = bpt_raw_connect("127.0.0.2", g_proc.port);
        assert_true(bpt_raw_send(fd, req, strlen(req)));
        char ctype[64];
        char *body = NULL;
        assert_int_equal(bpt_raw_read(fd, 5000, ctype, sizeof ctype, &body), 200);
        lat[i] = bpt_now_us() - t0;
        free(body);
        close(fd);
    }
    qsort(lat, N, sizeof lat[0], cmp_ll);
    long long p50 = lat[N / 2], p99 = lat[N * 99 / 100 - 1];
    printf("second client while %d slow connections are held: p50 %.2f ms, p99 %.2f ms\n",
           PER_CLIENT, p50 / 1000.0, p99 / 1000.0);
    assert_true(p99 < 100000);
    /* The slow connections are cut at the header deadline, though they keep sending. */
    for (int i = 0; i < PER_CLIENT; i++) {
        long long left = opened + (HEADER_TIMEOUT_S + 2) * 1000 - bpt_now_ms();
        int fd = t.fds[i];
        if (fd >= 0)
            assert_true(bpt_raw_closed(fd, left > 0 ? (int)left : 1));
    }
    long long took = bpt_now_ms() - opened;
    printf("%d slow connections cut off after %lld ms\n", PER_CLIENT, took);
    assert_true(took >= HEADER_TIMEOUT_S * 1000 - 200);
    atomic_store(&t.stop, true);
    pthread_join(th, NULL);
    for (int i = 0; i < PER_CLIENT; i++)
        close(t.fds[i] >= 0 ? t.fds[i] : -1);
    /* The quota is free again. */
    assert_int_equal(bpt_sh("grep -q 'cut off client 127.0.0.1' %s", g_proc.log_path), 0);
    bpt_resp r = bpt_http("GET", g_proc.port, "/health", NULL, NULL, NULL);
    assert_int_equal(r.status, 200);
    bpt_resp_free(&r);
}

/* Sends a byte every 500 ms until the server closes; returns how long that took. */
static long long trickle_until_closed(int fd, const char *bytes, int limit_ms)
{
    long long t0 = bpt_now_ms();
    for (const char *p = bytes; bpt_now_ms() - t0 < limit_ms; p = *(p + 1) ? p + 1 : bytes) {
        if (!bpt_raw_send(fd, p, 1) || bpt_raw_closed(fd, 500))
            return bpt_now_ms() - t0;
    }
    return -1;
}

/* The deadlines hold after the first request too: a slow body, and a slow second
 * request on a kept-alive connection (both held by libmicrohttpd, not the gate). */
static void test_slow_body_and_next_request(void **state)
{
    (void)state;
    int fd = bpt_raw_connect("127.0.0.1", g_proc.port);
    char head[256];
    snprintf(head, sizeof head,
             "POST /contracts HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer " BPT_API_KEY
             "\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n");
    assert_true(bpt_raw_send(fd, head, strlen(head)));
    long long took = trickle_until_closed(fd, " ", (BODY_TIMEOUT_S + 3) * 1000);
    printf("slow body cut off after %lld ms\n", took);
    assert_true(took >= BODY_TIMEOUT_S * 1000 - 600 && took <= (BODY_TIMEOUT_S + 2) * 1000);
    close(fd);
    assert_int_equal(bpt_sh("grep -q 'request body not received within' %s", g_proc.log_path), 0);

    fd = bpt_raw_connect("127.0.0.1", g_proc.port);
    const char *ok = "GET /health HTTP/1.1\r\nHost: a\r\n\r\n";
    assert_true(bpt_raw_send(fd, ok, strlen(ok)));
    char ctype[64];
    char *body = NULL;
    assert_int_equal(bpt_raw_read(fd, 5000, ctype, sizeof ctype, &body), 200);
    free(body);
    took = trickle_until_closed(fd, "GET /health HTTP/1.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                                (HEADER_TIMEOUT_S + 3) * 1000);
    printf("slow second request cut off after %lld ms\n", took);
    assert_true(took >= HEADER_TIMEOUT_S * 1000 - 600 && took <= (HEADER_TIMEOUT_S + 2) * 1000);
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_control_characters_in_path_and_query),
        cmocka_unit_test(test_nul_bytes_in_body),
        cmocka_unit_test(test_http_layer_errors_are_json),
        cmocka_unit_test(test_slow_clients),
        cmocka_unit_test(test_slow_body_and_next_request),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
