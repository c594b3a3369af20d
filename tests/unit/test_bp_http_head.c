/* Unit tests of bp_http_head: finding and checking a request head before
 * libmicrohttpd parses it. */
#include "bp_http_head.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static int verdict_of(const char *head)
{
    size_t len = bp_http_head_length(head, strlen(head));
    assert_true(len > 0);
    bp_http_head_verdict v = {0};
    return bp_http_head_check(head, len, &v) ? 0 : v.status;
}

static void test_length(void **state)
{
    (void)state;
    const char *h = "GET / HTTP/1.1\r\nHost: a\r\n\r\nBODY";
    assert_int_equal(bp_http_head_length(h, strlen(h)), strlen(h) - 4);
    assert_int_equal(bp_http_head_length("GET / HTTP/1.1\r\nHost: a\r\n", 25), 0);
    assert_int_equal(bp_http_head_length("GET / HTTP/1.1\nHost: a\n\n", 24), 24);
    assert_int_equal(bp_http_head_length("\r\n\r\nGET / HTTP/1.0\r\n\r\n", 22), 22);
    assert_int_equal(bp_http_head_length("", 0), 0);
    assert_int_equal(bp_http_head_length("\r\n", 2), 0);
}

static void test_sound_heads(void **state)
{
    (void)state;
    assert_int_equal(verdict_of("GET /health HTTP/1.1\r\nHost: a\r\n\r\n"), 0);
    assert_int_equal(verdict_of("GET /health HTTP/1.0\r\n\r\n"), 0);
    assert_int_equal(verdict_of("\r\nGET /x?a=%41 HTTP/1.1\nHost: a\n\n"), 0);
    assert_int_equal(verdict_of("POST /c HTTP/1.1\r\nHost: a\r\nContent-Length: 12\r\n"
                                "content-length: 12\r\nX-E:\r\nX-T: a\tb\r\n\r\n"),
                     0);
    assert_int_equal(
        verdict_of("POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n"), 0);
    assert_int_equal(verdict_of("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"), 0);
}

static void test_refused_heads(void **state)
{
    (void)state;
    assert_int_equal(verdict_of("GARBAGE\r\n\r\n"), 400);
    assert_int_equal(verdict_of("GET /x\r\n\r\n"), 400);
    assert_int_equal(verdict_of("GET  /x HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
    assert_int_equal(verdict_of("GET /x HTTP/1.1 \r\nHost: a\r\n\r\n"), 400);
    assert_int_equal(verdict_of("G(T /x HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
    assert_int_equal(verdict_of("GET /x\x01y HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
    assert_int_equal(verdict_of("GET /x HTTP/2.0\r\nHost: a\r\n\r\n"), 505);
    assert_int_equal(verdict_of("GET /x HTTP/0.9\r\nHost: a\r\n\r\n"), 505);
    assert_int_equal(verdict_of("GET /x HTTP/1.10\r\nHost: a\r\n\r\n"), 400);
    assert_int_equal(verdict_of("GET /x http/1.1\r\nHost: a\r\n\r\n"), 400);
    assert_int_equal(verdict_of("GET /x FOO/1.1\r\nHost: a\r\n\r\n"), 400);
    assert_int_equal(verdict_of("GET /x HTTP/1.1\r\n\r\n"), 400);
    assert_int_equal(verdict_of("GET /x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), 400);
    assert_int_equal(verdict_of("GET /x HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n"), 400);
    assert_int_equal(verdict_of("GET /x HTTP/1.1\r\nHost: a\r\nNo colon\r\n\r\n"), 400);
    assert_int_equal(verdict_of("GET /x HTTP/1.1\r\nHost: a\r\nName : v\r\n\r\n"), 400);
    assert_int_equal(verdict_of("GET /x HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n"), 400);
    assert_int_equal(verdict_of("GET /x HTTP/1.1\r\nHost: a\r\nX: a\x7f\r\n\r\n"), 400);
    assert_int_equal(verdict_of("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n"), 400);
    assert_int_equal(verdict_of("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 1 2\r\n\r\n"), 400);
    assert_int_equal(verdict_of("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n"), 400);
    assert_int_equal(verdict_of("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n"
                                "Content-Length: 2\r\n\r\n"),
                     400);
    assert_int_equal(verdict_of("POST /x HTTP/1.1\r\nHost: a\r\n"
                                "Content-Length: 99999999999999999999999\r\n\r\n"),
                     413);
    assert_int_equal(verdict_of("POST /x HTTP/1.1\r\nHost: a\r\n"
                                "Content-Length: 9223372036854775808\r\n\r\n"),
                     413);
    assert_int_equal(verdict_of("POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n"),
                     501);
    assert_int_equal(verdict_of("POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
                                "Content-Length: 3\r\n\r\n"),
                     400);
    /* A NUL byte anywhere in the head. */
    const char nul[] = "GET /x HTTP/1.1\r\nHost: a\0b\r\n\r\n";
    bp_http_head_verdict v = {0};
    assert_false(bp_http_head_check(nul, sizeof nul - 1, &v));
    assert_int_equal(v.status, 400);
    assert_string_equal(v.code, "MALFORMED_REQUEST");
}

static void test_sizes(void **state)
{
    (void)state;
    size_t n = BP_HTTP_HEAD_MAX_TARGET + 1;
    char *h = malloc(n + 64);
    memcpy(h, "GET /", 5);
    memset(h + 5, 'a', n - 1);
    strcpy(h + 4 + n, " HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_int_equal(verdict_of(h), 414);
    h[4 + n - 1] = '\0'; /* no line end yet: an endless request line */
    bp_http_head_verdict v = {0};
    bp_http_head_check_partial(h, strlen(h), &v);
    assert_int_equal(v.status, 414);
    free(h);
    h = malloc(BP_HTTP_HEAD_MAX_BYTES + 64);
    strcpy(h, "GET / HTTP/1.1\r\nHost: a\r\nX: ");
    size_t at = strlen(h);
    memset(h + at, 'b', BP_HTTP_HEAD_MAX_BYTES);
    h[at + BP_HTTP_HEAD_MAX_BYTES] = '\0';
    bp_http_head_check_partial(h, strlen(h), &v);
    assert_int_equal(v.status, 431);
    strcpy(h + at + 100, "\r\n\r\n");
    assert_int_equal(verdict_of(h), 0);
    memcpy(h, "GE( ", 4);
    bp_http_head_check_partial(h, at + 100, &v);
    assert_int_equal(v.status, 400);
    free(h);
}

static void test_target_control(void **state)
{
    (void)state;
    assert_false(bp_http_target_has_control("/contracts/CTR-1?size=2&q=a%20b"));
    assert_false(bp_http_target_has_control("/%41%zz%2"));
    assert_false(bp_http_target_has_control("/caf%C3%A9"));
    assert_true(bp_http_target_has_control("/contracts/CTR-1%00anything"));
    assert_true(bp_http_target_has_control("/x?customerRef=%00"));
    assert_true(bp_http_target_has_control("/x%0a"));
    assert_true(bp_http_target_has_control("/x%1F"));
    assert_true(bp_http_target_has_control("/x%7F"));
    assert_true(bp_http_target_has_control("/x\ty"));
    assert_false(bp_http_target_has_control("/x%2500")); /* an encoded "%" then "00" */
}

static void test_path(void **state)
{
    (void)state;
    char path[32];
    const char *h = "GET /contracts/CTR-1?size=2 HTTP/1.1\r\nHost: a\r\n\r\n";
    bp_http_head_path(h, strlen(h), path, sizeof path);
    assert_string_equal(path, "/contracts/CTR-1");
    h = "GET /x HTTP/2.0\r\n\r\n";
    bp_http_head_path(h, strlen(h), path, sizeof path);
    assert_string_equal(path, "/x");
    h = "GARBAGE\r\n\r\n";
    bp_http_head_path(h, strlen(h), path, sizeof path);
    assert_string_equal(path, "");
    h = "GET /a\x01b HTTP/1.1\r\n\r\n"; /* not visible ASCII: nothing echoed */
    bp_http_head_path(h, strlen(h), path, sizeof path);
    assert_string_equal(path, "");
    h = "GET /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa HTTP/1.1\r\n\r\n"; /* too long */
    bp_http_head_path(h, strlen(h), path, sizeof path);
    assert_string_equal(path, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_length),         cmocka_unit_test(test_sound_heads),
        cmocka_unit_test(test_refused_heads),  cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_target_control), cmocka_unit_test(test_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
