/* Integration: the invoice-mailer through an SMTP server that demands STARTTLS
 * and AUTH (the real smtp_sink with a certificate made for the test): the mail
 * goes over TLS, authenticated, the server's certificate checked against
 * BP_SMTP_CA_FILE. A server that offers no STARTTLS, a certificate from
 * another CA, or refused credentials: nothing is sent (never in clear text),
 * the mailer retries, and the mail goes once the server is right again. */
#include "mailer_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static mlf_stack st;
static char dir[600], cert[700], key[700], other_cert[700], other_key[700], ca_setting[720];

/* A self-signed certificate for 127.0.0.1 (the address the mailer dials). */
static void make_cert(const char *cert_path, const char *key_path)
{
    int rc = bpt_sh("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1"
                    " -addext subjectAltName=IP:127.0.0.1 -keyout '%s' -out '%s' 2>/dev/null",
                    key_path, cert_path);
    if (rc != 0)
        fail_msg("openssl could not make a test certificate");
}

static int setup(void **state)
{
    curl_global_init(CURL_GLOBAL_ALL);
    snprintf(dir, sizeof dir, "%s/it_mailer_tls-certs", bpt_env("BPT_STATE_DIR"));
    bpt_sh("rm -rf '%s' && mkdir -p '%s'", dir, dir);
    snprintf(cert, sizeof cert, "%s/server.pem", dir);
    snprintf(key, sizeof key, "%s/server.key", dir);
    snprintf(other_cert, sizeof other_cert, "%s/other.pem", dir);
    snprintf(other_key, sizeof other_key, "%s/other.key", dir);
    make_cert(cert, key);
    make_cert(other_cert, other_key);
    snprintf(ca_setting, sizeof ca_setting, "BP_SMTP_CA_FILE=%s", cert);
    const char *extra[] = {"BP_SMTP_STARTTLS=true", "BP_SMTP_USER=billing",
                           "BP_SMTP_PASSWORD=s3cret-pass", ca_setting, NULL};
    const char *sink[] = {"--tls-cert",          cert, "--tls-key", key, "--auth",
                          "billing:s3cret-pass", NULL};
    mlf_start_with(&st, "it_mailer_tls", extra, sink);
    return 0;
}

static int teardown(void **state)
{
    mlf_stop(&st);
    return 0;
}

/* Restarts the sink on the same port and folder with these options (the
 * mailer is left running). */
static void restart_sink(const char *const *args)
{
    mlf_sink_stop(&st.sink);
    memset(st.sink.args, 0, sizeof st.sink.args);
    for (int i = 0; args != NULL && args[i] != NULL && i < 7; i++)
        st.sink.args[i] = args[i];
    mlf_sink_start(&st.sink, st.sink.dir, st.sink.port, false);
}

static const char *const good[] = {"--tls-cert",          cert, "--tls-key", key, "--auth",
                                   "billing:s3cret-pass", NULL};

static long attempts_of(const char *ref)
{
    json_t *doc = mlf_mail_doc(&st, ref);
    long n = (long)json_integer_value(json_object_get(doc, "attempts"));
    json_decref(doc);
    return n;
}

/* The stored message for `ref` says it came over TLS from user "billing". */
static void assert_secured(const char *ref)
{
    int n = 0;
    mlf_mail *m = mlf_mails(&st.sink, &n);
    int found = 0;
    char id[80];
    snprintf(id, sizeof id, "<%s@boissipay>", ref);
    for (int i = 0; i < n; i++) {
        if (strstr(m[i].message_id, id) == NULL)
            continue;
        found++;
        assert_non_null(strstr(m[i].raw, "X-Sink-TLS: yes\r\n"));
        assert_non_null(strstr(m[i].raw, "X-Sink-Auth: billing\r\n"));
    }
    mlf_mails_free(m, n);
    assert_int_equal(found, 1);
}

/* With the server in a state the mailer must refuse: attempts fail, nothing
 * arrives; once the server is right again, the mail goes, once. */
static void refused_then_sent(const char *ref, const char *const *bad_server)
{
    restart_sink(bad_server);
    mlf_issue(&st, ref, "ap@acme.example", "CTR-TLS");
    for (int waited = 0; attempts_of(ref) < 2 && waited < 20000; waited += 100)
        bpt_sleep_ms(100);
    assert_true(attempts_of(ref) >= 2);
    assert_int_equal(mlf_count(&st.sink, ref), 0);
    json_t *doc = mlf_mail_doc(&st, ref);
    assert_string_not_equal(json_string_value(json_object_get(doc, "status")), "SENT");
    json_decref(doc);
    restart_sink(good);
    assert_true(mlf_wait_status(&st, ref, "SENT", 30000));
    assert_true(mlf_wait_count(&st.sink, ref, 1, 5000));
    bpt_sleep_ms(500);
    assert_int_equal(mlf_count(&st.sink, ref), 1);
    assert_secured(ref);
}

static void test_starttls_and_auth(void **state)
{
    mlf_issue(&st, "INV-2026-000501", "ap@acme.example", "CTR-TLS");
    assert_true(mlf_wait_status(&st, "INV-2026-000501", "SENT", 20000));
    assert_true(mlf_wait_count(&st.sink, "INV-2026-000501", 1, 5000));
    assert_secured("INV-2026-000501");
}

static void test_server_without_starttls(void **state)
{
    /* Plain SMTP, no authentication: the mailer must not send in clear text. */
    const char *const plain[] = {NULL};
    refused_then_sent("INV-2026-000502", plain);
}

static void test_certificate_of_another_ca(void **state)
{
    const char *const other[] = {
        "--tls-cert", other_cert, "--tls-key", other_key, "--auth", "billing:s3cret-pass", NULL};
    refused_then_sent("INV-2026-000503", other);
}

static void test_credentials_refused(void **state)
{
    const char *const wrong[] = {"--tls-cert",           cert, "--tls-key", key, "--auth",
                                 "billing:another-pass", NULL};
    refused_then_sent("INV-2026-000504", wrong);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_starttls_and_auth),
        cmocka_unit_test(test_server_without_starttls),
        cmocka_unit_test(test_certificate_of_another_ca),
        cmocka_unit_test(test_credentials_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
