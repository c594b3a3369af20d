/* Integration: the API docs each of the four daemons serves (lib/common/bp_docs.h),
 * over real HTTP from the real binaries. GET /openapi.yaml answers the bytes of
 * openapi/<daemon>.yaml exactly, as application/yaml; GET /docs an HTML page whose
 * every script and style sheet is one the daemon serves under /docs/ (the vendored
 * Swagger UI files, byte for byte), under a Content-Security-Policy that allows nothing
 * from elsewhere; none of it needs the API key, while the API itself still does; an
 * unknown asset is 404 and a POST 405, as ErrorResponses; /docs/ redirects to /docs. The page in a
 * browser: tests/browser/test_docs.py. */
#include "bpt.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct {
    const char *name;   /* "invoice-mailer" */
    const char *binary; /* below BPT_BIN_DIR */
    const char *list;   /* a GET that needs the key */
    bpt_proc proc;
} daemon_under_test;

static daemon_under_test daemons[] = {
    {"contract", "services/contract/boissipay-contract", "/contracts", {0}},
    {"billing", "services/billing/boissipay-billing", "/operations", {0}},
    {"payment", "services/payment/boissipay-payment", "/payments", {0}},
    {"invoice-mailer", "services/invoice-mailer/boissipay-invoice-mailer", "/mails", {0}},
};
#define NDAEMONS (sizeof daemons / sizeof daemons[0])

/* One exchange, the body as bytes (it may hold anything). */
typedef struct {
    long status;
    char *body;
    size_t len;
    char ctype[128];
    char policy[1024];
    char location[256];
} docs_resp;

static size_t on_body(char *p, size_t size, size_t n, void *cls)
{
    docs_resp *r = cls;
    char *grown = realloc(r->body, r->len + size * n + 1);
    assert_non_null(grown);
    memcpy(grown + r->len, p, size * n);
    r->body = grown;
    r->len += size * n;
    r->body[r->len] = '\0';
    return size * n;
}

static void header_value(const char *line, size_t len, const char *name, char *out, size_t size)
{
    size_t nlen = strlen(name);
    if (len <= nlen + 1 || strncasecmp(line, name, nlen) != 0 || line[nlen] != ':')
        return;
    const char *v = line + nlen + 1;
    size_t vlen = len - nlen - 1;
    while (vlen > 0 && (*v == ' ' || *v == '\t'))
        v++, vlen--;
    while (vlen > 0 && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n'))
        vlen--;
    snprintf(out, size, "%.*s", (int)vlen, v);
}

static size_t on_header(char *p, size_t size, size_t n, void *cls)
{
    docs_resp *r = cls;
    header_value(p, size * n, "Content-Type", r->ctype, sizeof r->ctype);
    header_value(p, size * n, "Content-Security-Policy", r->policy, sizeof r->policy);
    header_value(p, size * n, "Location", r->location, sizeof r->location);
    return size * n;
}

static docs_resp fetch(const char *method, int port, const char *path, const char *key)
{
    docs_resp r = {0};
    char url[512], auth[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    CURL *c = curl_easy_init();
    assert_non_null(c);
    struct curl_slist *h = NULL;
    if (key != NULL) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", key);
        h = curl_slist_append(h, auth);
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &r);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return r;
}

static void resp_free(docs_resp *r)
{
    free(r->body);
    r->body = NULL;
}

/* The whole file below the source tree; caller frees. */
static char *read_source(const char *rel, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", bpt_env("BPT_SOURCE_DIR"), rel);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("cannot read %s", path);
    char *data = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 65536;
            data = realloc(data, cap);
            assert_non_null(data);
        }
        size_t got = fread(data + n, 1, cap - n, f);
        if (got == 0)
            break;
        n += got;
    }
    fclose(f);
    *len = n;
    return data;
}

static void assert_same_bytes(const docs_resp *r, const char *rel)
{
    size_t len;
    char *want = read_source(rel, &len);
    if (r->len != len || memcmp(r->body, want, len) != 0)
        fail_msg("the body (%zu bytes) differs from %s (%zu bytes)", r->len, rel, len);
    free(want);
}

static int setup(void **state)
{
    (void)state;
    curl_global_init(CURL_GLOBAL_ALL);
    char keys[128], kafka[128], db[512], dburl[600];
    snprintf(keys, sizeof keys, "BP_API_KEYS=%s:rw,%s:r", BPT_API_KEY, BPT_READ_KEY);
    snprintf(kafka, sizeof kafka, "BP_KAFKA_BROKERS=%s", bpt_env("BPT_KAFKA"));
    const char *topics[] = {"contract", "operation", "invoice", "payment", "dead-letter"};
    static char topic_env[5][128];
    for (size_t i = 0; i < 5; i++) {
        char topic[64], var[32];
        snprintf(topic, sizeof topic, "it_docs.%s", topics[i]);
        bpt_topic_create(topic, 1);
        snprintf(var, sizeof var, "%s", topics[i]);
        for (char *p = var; *p; p++)
            *p = *p == '-' ? '_' : (char)(*p - ('a' <= *p && *p <= 'z' ? 32 : 0));
        snprintf(topic_env[i], sizeof topic_env[i], "BP_TOPIC_%s=%s", var, topic);
    }
    for (size_t i = 0; i < NDAEMONS; i++) {
        daemon_under_test *d = &daemons[i];
        char name[64], group[128];
        snprintf(name, sizeof name, "it_docs_%s",
                 strcmp(d->name, "invoice-mailer") ? d->name : "mailer");
        bpt_db_create(name, db, sizeof db);
        snprintf(dburl, sizeof dburl, "BP_DATABASE_URL=%s", db);
        snprintf(group, sizeof group, "BP_CONSUMER_GROUP=%s", name);
        const char *env[] = {dburl,
                             kafka,
                             keys,
                             group,
                             topic_env[0],
                             topic_env[1],
                             topic_env[2],
                             topic_env[3],
                             topic_env[4],
                             "BP_BILLING_SCHEDULE=false",
                             "BP_SMTP_URL=smtp://127.0.0.1:1",
                             "BP_SHUTDOWN_GRACE_SECONDS=2",
                             "BP_HTTP_ACCESS_LOG=false",
                             NULL};
        bpt_proc_start(&d->proc, name, d->binary, bpt_free_port(), env);
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    int failed = 0;
    for (size_t i = 0; i < NDAEMONS; i++) {
        int status = bpt_proc_stop(&daemons[i].proc, SIGTERM);
        if (status != 0) {
            fprintf(stderr, "%s: exit status %d (log %s)\n", daemons[i].name, status,
                    daemons[i].proc.log_path);
            failed = 1;
        }
        bpt_proc_free(&daemons[i].proc);
    }
    curl_global_cleanup();
    return failed;
}

/* GET /openapi.yaml: the spec file's bytes, with no key; a key changes nothing. */
static void test_openapi_is_the_file(void **state)
{
    (void)state;
    for (size_t i = 0; i < NDAEMONS; i++) {
        char rel[128];
        snprintf(rel, sizeof rel, "openapi/%s.yaml", daemons[i].name);
        const char *keys[] = {NULL, BPT_READ_KEY, "not-a-key-of-this-daemon"};
        for (size_t k = 0; k < 3; k++) {
            docs_resp r = fetch("GET", daemons[i].proc.port, "/openapi.yaml", keys[k]);
            assert_int_equal(r.status, 200);
            assert_string_equal(r.ctype, "application/yaml");
            assert_same_bytes(&r, rel);
            resp_free(&r);
        }
    }
}

/* GET /docs: HTML naming only assets the daemon serves, under a policy that allows
 * nothing from another origin. */
static void test_docs_page(void **state)
{
    (void)state;
    for (size_t i = 0; i < NDAEMONS; i++) {
        int port = daemons[i].proc.port;
        docs_resp r = fetch("GET", port, "/docs", NULL);
        assert_int_equal(r.status, 200);
        assert_string_equal(r.ctype, "text/html; charset=utf-8");
        assert_non_null(strstr(r.body, "<!DOCTYPE html>"));
        assert_non_null(strstr(r.body, "src=\"docs/swagger-ui-bundle.js\""));
        assert_non_null(strstr(r.body, "href=\"docs/swagger-ui.css\""));
        assert_null(strstr(r.body, "http://"));
        assert_null(strstr(r.body, "https://"));
        assert_null(strstr(r.body, "//cdn"));
        assert_non_null(strstr(r.policy, "default-src 'none'"));
        assert_non_null(strstr(r.policy, "script-src 'self'"));
        assert_non_null(strstr(r.policy, "connect-src 'self'"));
        resp_free(&r);

        /* Every src= and href= of the page is answered 200 by the daemon. */
        docs_resp page = fetch("GET", port, "/docs", NULL);
        int refs = 0;
        for (const char *p = page.body; (p = strstr(p, "=\"docs/")) != NULL; p++) {
            char asset[128] = "/";
            const char *end = strchr(p + 2, '"');
            assert_non_null(end);
            snprintf(asset + 1, sizeof asset - 1, "%.*s", (int)(end - p - 2), p + 2);
            docs_resp a = fetch("GET", port, asset, NULL);
            if (a.status != 200)
                fail_msg("%s: GET %s answered %ld", daemons[i].name, asset, a.status);
            resp_free(&a);
            refs++;
        }
        assert_int_equal(refs, 5); /* style sheet, two icons, two scripts */
        resp_free(&page);
    }
}

/* The vendored Swagger UI files, byte for byte, with their media types. */
static void test_assets(void **state)
{
    (void)state;
    const struct {
        const char *path, *file, *ctype;
    } assets[] = {
        {"/docs/swagger-ui-bundle.js", "third_party/swagger-ui-dist/swagger-ui-bundle.js",
         "text/javascript; charset=utf-8"},
        {"/docs/swagger-ui.css", "third_party/swagger-ui-dist/swagger-ui.css",
         "text/css; charset=utf-8"},
        {"/docs/favicon-32x32.png", "third_party/swagger-ui-dist/favicon-32x32.png", "image/png"},
        {"/docs/index.js", "lib/common/docs/index.js", "text/javascript; charset=utf-8"},
        {"/docs/index.html", "lib/common/docs/index.html", "text/html; charset=utf-8"},
    };
    for (size_t i = 0; i < NDAEMONS; i++) {
        for (size_t k = 0; k < sizeof assets / sizeof assets[0]; k++) {
            docs_resp r = fetch("GET", daemons[i].proc.port, assets[k].path, NULL);
            assert_int_equal(r.status, 200);
            assert_string_equal(r.ctype, assets[k].ctype);
            assert_same_bytes(&r, assets[k].file);
            resp_free(&r);
        }
    }
}

/* Unknown assets are 404, other methods 405, as ErrorResponses; the API still
 * needs its key. */
static void test_refusals(void **state)
{
    (void)state;
    const char *missing[] = {"/docs/nope.js", "/docs//", "/docs/..%2F..%2Fetc%2Fpasswd",
                             "/docs/index.js/x", "/openapi.json"};
    for (size_t i = 0; i < NDAEMONS; i++) {
        int port = daemons[i].proc.port;
        for (size_t k = 0; k < sizeof missing / sizeof missing[0]; k++) {
            docs_resp r = fetch("GET", port, missing[k], NULL);
            if (r.status != 404)
                fail_msg("%s: GET %s answered %ld", daemons[i].name, missing[k], r.status);
            assert_string_equal(r.ctype, "application/json");
            assert_non_null(strstr(r.body, "\"NOT_FOUND\""));
            resp_free(&r);
        }
        const char *paths[] = {"/openapi.yaml", "/docs", "/docs/index.js"};
        for (size_t k = 0; k < 3; k++) {
            docs_resp r = fetch("POST", port, paths[k], NULL);
            assert_int_equal(r.status, 405);
            assert_non_null(strstr(r.body, "\"METHOD_NOT_ALLOWED\""));
            resp_free(&r);
        }
        docs_resp r = fetch("GET", port, "/docs/", NULL);
        assert_int_equal(r.status, 301);
        assert_string_equal(r.location, "../docs"); /* relative: /docs */
        resp_free(&r);
        r = fetch("GET", port, daemons[i].list, NULL);
        assert_int_equal(r.status, 401);
        resp_free(&r);
        r = fetch("GET", port, daemons[i].list, BPT_READ_KEY);
        assert_int_equal(r.status, 200);
        resp_free(&r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_openapi_is_the_file),
        cmocka_unit_test(test_docs_page),
        cmocka_unit_test(test_assets),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
