/* Unit tests of bp_docs's table of embedded files: every file the page names is there with
 * a media type, nothing else is found (no path tricks), and the embedded bytes are whole
 * (the bundle ends as Swagger UI's does, the page is the HTML we wrote). */
#include "bp_docs.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

static void test_every_file_the_page_names_is_embedded(void **state)
{
    (void)state;
    size_t len;
    const char *type;
    const unsigned char *page = bp_docs_find("index.html", &len, &type);
    assert_non_null(page);
    assert_string_equal(type, "text/html; charset=utf-8");
    assert_int_equal(page[len], '\0'); /* the one NUL after the bytes, not counted */
    assert_int_equal(strlen((const char *)page), len);
    int names = 0;
    for (const char *p = (const char *)page; (p = strstr(p, "\"docs/")) != NULL; p++) {
        char name[64];
        const char *end = strchr(p + 6, '"');
        assert_non_null(end);
        snprintf(name, sizeof name, "%.*s", (int)(end - p - 6), p + 6);
        size_t n;
        const char *t;
        if (bp_docs_find(name, &n, &t) == NULL)
            fail_msg("the page names docs/%s, which is not embedded", name);
        assert_true(n > 0);
        names++;
    }
    assert_int_equal(names, 5);
}

static void test_media_types(void **state)
{
    (void)state;
    const char *want[][2] = {
        {"swagger-ui-bundle.js", "text/javascript; charset=utf-8"},
        {"index.js", "text/javascript; charset=utf-8"},
        {"swagger-ui.css", "text/css; charset=utf-8"},
        {"favicon-32x32.png", "image/png"},
        {"favicon-16x16.png", "image/png"},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        size_t len;
        const char *type;
        assert_non_null(bp_docs_find(want[i][0], &len, &type));
        assert_string_equal(type, want[i][1]);
    }
}

static void test_whole_bytes(void **state)
{
    (void)state;
    size_t len;
    const char *type;
    const unsigned char *png = bp_docs_find("favicon-32x32.png", &len, &type);
    assert_memory_equal(png, "\x89PNG\r\n\x1a\n", 8);
    const unsigned char *js = bp_docs_find("swagger-ui-bundle.js", &len, &type);
    assert_true(len > 1000000); /* Swagger UI 5 is about 1.8 MB */
    assert_non_null(strstr((const char *)js + len - 300, "SwaggerUI"));
}

static void test_nothing_else(void **state)
{
    (void)state;
    const char *names[] = {
        "",         "/index.html", "index.htm",          "../index.html", "docs/index.js",
        "INDEX.JS", "index.js/",   "swagger-ui.css.map", "LICENSE"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        size_t len = 7;
        const char *type = "unchanged";
        if (bp_docs_find(names[i], &len, &type) != NULL)
            fail_msg("%s was found", names[i]);
        assert_int_equal(len, 7);
    }
    size_t len;
    const char *type;
    assert_null(bp_docs_find(NULL, &len, &type));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_file_the_page_names_is_embedded),
        cmocka_unit_test(test_media_types),
        cmocka_unit_test(test_whole_bytes),
        cmocka_unit_test(test_nothing_else),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
