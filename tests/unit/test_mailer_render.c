/* Unit tests of mailer_render: HTML escaping of every value, amounts rendered
 * from minor units, quoted-printable, and the message itself — its headers
 * (deterministic Message-ID, Date), the multipart/alternative structure with a
 * text and an HTML part that decode back to the rendered bodies, 7-bit CRLF
 * lines of at most 78 characters, and identical bytes for identical input; with the
 * PDF attached, a multipart/mixed message whose base64 part decodes to the PDF. */
#include "mailer_invoice.h"
#include "mailer_render.h"
#include "bpt.h"
#include "bpt_pdf.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define NOV_1_2026_000503 INT64_C(1793491503120)

/* A Money object in euros, as billing writes it. */
#define EUR(amount, minor)                                                                         \
    "{\"amount\": \"" amount "\", \"currency\": \"EUR\", \"minorUnits\": " #minor "}"

/* A purchase whose order reference tries HTML, a customer with an ampersand. */
static const char *const sample =
    "{\"invoiceRef\": \"INV-2026-000042\","
    " \"contractId\": \"0b7e6c1e-2f4a-4c55-9d0e-5a1b2c3d4e5f\", \"contractRef\": \"CTR-ACME-001\","
    " \"customerRef\": \"Smith & Sons <Ltd>\","
    " \"period\": \"2026-10\", \"issueDate\": \"2026-11-01\", \"dueDate\": \"2026-12-01\","
    " \"currency\": \"EUR\", \"totalWithoutTax\": " EUR(
        "19.60",
        1960) ","
              " \"totalTax\": " EUR(
                  "1.48",
                  148) ","
                       " \"totalWithTax\": " EUR(
                           "21.08",
                           2108) ","
                                 " \"vatBreakdown\": [{\"vatRate\": 5.5, \"base\": " EUR(
                                     "16.80",
                                     1680) ","
                                           "                     \"tax\": " EUR(
                                               "0.92",
                                               92) "},"
                                                   "                    {\"vatRate\": 20, "
                                                   "\"base\": " EUR(
                                                       "2.80",
                                                       280) ","
                                                            "                     \"tax\": " EUR(
                                                                "0.56", 56) "}],"
                                                                            " \"lines\": "
                                                                            "[{\"orderRef\": "
                                                                            "\"<script>alert("
                                                                            "\\\"x\\\")</script>\","
                                                                            "   \"operationType\": "
                                                                            "\"PURCHASE\", "
                                                                            "\"operationDate\": "
                                                                            "\"2026-10-12\","
                                                                            "   "
                                                                            "\"amountWithoutTax\":"
                                                                            " " EUR("19.60", 1960) ", \"amountTax\": " EUR(
                                                                                "1.48",
                                                                                148) ","
                                                                                     "   "
                                                                                     "\"amountWithT"
                                                                                     "ax\": " EUR(
                                                                                         "21.08",
                                                                                         2108) "}],"
                                                                                               " \""
                                                                                               "inv"
                                                                                               "oic"
                                                                                               "eEm"
                                                                                               "ail"
                                                                                               "\":"
                                                                                               " \""
                                                                                               "ap@"
                                                                                               "acm"
                                                                                               "e."
                                                                                               "exa"
                                                                                               "mpl"
                                                                                               "e\""
                                                                                               ", "
                                                                                               "\"m"
                                                                                               "and"
                                                                                               "ate"
                                                                                               "Ref"
                                                                                               "ere"
                                                                                               "nce"
                                                                                               "\":"
                                                                                               " \""
                                                                                               "MDT"
                                                                                               "-AC"
                                                                                               "ME-"
                                                                                               "'00"
                                                                                               "1'"
                                                                                               "\""
                                                                                               "}";

static int setup(void **state)
{
    json_t *data = json_loads(sample, 0, NULL);
    ml_invoice *inv = calloc(1, sizeof *inv);
    char reason[300];
    if (data == NULL || inv == NULL || !ml_invoice_parse(data, inv, reason, sizeof reason))
        return -1;
    json_decref(data);
    *state = inv;
    return 0;
}

static int teardown(void **state)
{
    ml_invoice_free(*state);
    free(*state);
    return 0;
}

static void test_html_escape(void **state)
{
    char *e = ml_html_escape("<a href=\"x\">Tom & Jerry's</a>");
    assert_string_equal(e, "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;");
    free(e);
    e = ml_html_escape("");
    assert_string_equal(e, "");
    free(e);
}

static void test_money(void **state)
{
    char buf[40];
    ml_format_money(2108, 2, "EUR", buf, sizeof buf);
    assert_string_equal(buf, "21.08 EUR");
    ml_format_money(-332, 2, "EUR", buf, sizeof buf);
    assert_string_equal(buf, "-3.32 EUR");
    ml_format_money(5, 2, "EUR", buf, sizeof buf);
    assert_string_equal(buf, "0.05 EUR");
    ml_format_money(1234, 0, "JPY", buf, sizeof buf);
    assert_string_equal(buf, "1234 JPY");
    ml_format_money(1234, 3, "KWD", buf, sizeof buf);
    assert_string_equal(buf, "1.234 KWD");
    ml_format_money(INT64_C(1000000000000000), 2, "EUR", buf, sizeof buf);
    assert_string_equal(buf, "10000000000000.00 EUR");
}

static void test_qp(void **state)
{
    char *q = ml_qp_encode("a=b\n");
    assert_string_equal(q, "a=3Db\r\n");
    free(q);
    q = ml_qp_encode("trailing \nx\t\n");
    assert_string_equal(q, "trailing=20\r\nx=09\r\n");
    free(q);
    q = ml_qp_encode("caf\xc3\xa9");
    assert_string_equal(q, "caf=C3=A9\r\n");
    free(q);
    char long_line[302];
    memset(long_line, 'x', 300);
    memcpy(long_line + 297, "=\n", 3); /* an escape near a soft break, then the end */
    q = ml_qp_encode(long_line);
    char *decoded = bpt_qp_decode(q, strlen(q));
    assert_string_equal(decoded, long_line);
    for (char *line = q; *line;) {
        char *end = strstr(line, "\r\n");
        assert_true(end - line <= 76);
        line = end + 2;
    }
    free(decoded);
    free(q);
}

static void test_text_part(void **state)
{
    char *text = ml_render_text(*state);
    assert_non_null(strstr(text, "Invoice INV-2026-000042"));
    assert_non_null(strstr(text, "Billing period         2026-10"));
    assert_non_null(strstr(text, "Due date               2026-12-01"));
    assert_non_null(strstr(text, "Direct-debit mandate   MDT-ACME-'001'"));
    assert_non_null(strstr(text, "19.60 EUR"));
    assert_non_null(strstr(text, "5.5 %"));
    assert_non_null(strstr(text, "0.92 EUR"));
    assert_non_null(strstr(text, "Total with tax                  21.08 EUR"));
    assert_non_null(strstr(text, "Total VAT                        1.48 EUR"));
    assert_non_null(strstr(text, "21.08 EUR will be collected by SEPA direct debit on 2026-12-01"));
    /* The text part shows values as they are: it is not HTML. */
    assert_non_null(strstr(text, "Smith & Sons <Ltd>"));
    free(text);
}

static void test_html_part_escapes_every_value(void **state)
{
    char *html = ml_render_html(*state);
    assert_null(strstr(html, "<script>"));
    assert_null(strstr(html, "Smith & Sons"));
    assert_null(strstr(html, "'001'"));
    assert_non_null(strstr(html, "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"));
    assert_non_null(strstr(html, "Smith &amp; Sons &lt;Ltd&gt;"));
    assert_non_null(strstr(html, "MDT-ACME-&#39;001&#39;"));
    assert_non_null(strstr(html, "<title>Invoice INV-2026-000042</title>"));
    assert_non_null(strstr(html, ">21.08 EUR</th>"));
    assert_non_null(strstr(html, ">1.48 EUR</td>"));
    assert_non_null(strstr(html, ">2026-12-01"));
    free(html);
}

/* The body of the part whose Content-Type starts with `type`, decoded. */
static char *part(const char *msg, const char *boundary, const char *type)
{
    char head[160];
    snprintf(head, sizeof head,
             "--%s\r\nContent-Type: %s; charset=utf-8\r\n"
             "Content-Transfer-Encoding: quoted-printable\r\n\r\n",
             boundary, type);
    const char *start = strstr(msg, head);
    assert_non_null(start);
    start += strlen(head);
    char delim[100];
    snprintf(delim, sizeof delim, "--%s", boundary);
    const char *end = strstr(start, delim);
    assert_non_null(end);
    return bpt_qp_decode(start, (size_t)(end - start));
}

/* 7-bit, CRLF only, lines of at most 78 characters. */
static void seven_bit_lines(const char *msg)
{
    for (const char *p = msg, *line = msg; *p; p++) {
        assert_true((unsigned char)*p < 0x80);
        if (*p == '\n') {
            assert_true(p > msg && p[-1] == '\r');
            assert_true(p - line <= 79);
            line = p + 1;
        } else if (*p == '\r') {
            assert_int_equal(p[1], '\n');
        }
    }
}

static void test_message_structure(void **state)
{
    ml_render_opts opts = {.from = "billing@boissipay.example", .date_ms = NOV_1_2026_000503};
    char *msg = ml_render_message(*state, &opts);
    assert_non_null(msg);
    const char *headers[] = {
        "Date: Sun, 01 Nov 2026 00:05:03 +0000\r\n",
        "From: Boissipay <billing@boissipay.example>\r\n",
        "To: <ap@acme.example>\r\n",
        "Subject: Invoice INV-2026-000042, period 2026-10\r\n",
        "Message-ID: <INV-2026-000042@boissipay>\r\n",
        "MIME-Version: 1.0\r\n",
        "Content-Type: multipart/alternative; boundary=\"=_bp_INV-2026-000042\"\r\n\r\n",
    };
    const char *body = strstr(msg, "\r\n\r\n");
    for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++) {
        const char *at = strstr(msg, headers[i]);
        if (at == NULL || at > body + 4)
            fail_msg("header missing: %s", headers[i]);
    }
    /* text first, then HTML, then the closing boundary at the very end. */
    const char *text_at = strstr(msg, "Content-Type: text/plain");
    const char *html_at = strstr(msg, "Content-Type: text/html");
    assert_non_null(text_at);
    assert_non_null(html_at);
    assert_true(text_at < html_at);
    const char *close = "--=_bp_INV-2026-000042--\r\n";
    assert_string_equal(msg + strlen(msg) - strlen(close), close);
    char *text = part(msg, "=_bp_INV-2026-000042", "text/plain");
    char *want_text = ml_render_text(*state);
    assert_string_equal(text, want_text);
    char *html = part(msg, "=_bp_INV-2026-000042", "text/html");
    char *want_html = ml_render_html(*state);
    assert_string_equal(html, want_html);
    seven_bit_lines(msg);
    /* Same invoice, same date: the same bytes (a resend is identical). */
    char *again = ml_render_message(*state, &opts);
    assert_string_equal(msg, again);
    free(again);
    free(text);
    free(want_text);
    free(html);
    free(want_html);
    free(msg);
}

static void test_base64(void **state)
{
    char *none = ml_base64_encode((const unsigned char *)"", 0);
    assert_string_equal(none, "");
    free(none);
    const char *const cases[][2] = {
        {"f", "Zg==\r\n"}, {"fo", "Zm8=\r\n"}, {"foo", "Zm9v\r\n"}, {"foobar", "Zm9vYmFy\r\n"}};
    for (size_t i = 0; i < 4; i++) {
        char *e = ml_base64_encode((const unsigned char *)cases[i][0], strlen(cases[i][0]));
        assert_string_equal(e, cases[i][1]);
        free(e);
    }
    unsigned char bytes[1000];
    for (size_t i = 0; i < sizeof bytes; i++)
        bytes[i] = (unsigned char)(i * 7 + 3);
    char *e = ml_base64_encode(bytes, sizeof bytes);
    for (char *line = e; *line;) {
        char *end = strstr(line, "\r\n");
        assert_non_null(end);
        assert_true(end - line <= 76);
        line = end + 2;
    }
    size_t n = 0;
    unsigned char *back = bpt_base64_decode(e, strlen(e), &n);
    assert_int_equal(n, sizeof bytes);
    assert_memory_equal(back, bytes, n);
    free(back);
    free(e);
}

/* With the PDF: multipart/mixed holding the same alternative part, then the PDF in
 * base64, which decodes to the very bytes rendered and reads back as the invoice. */
static void test_message_with_pdf(void **state)
{
    unsigned char *pdf = NULL;
    size_t pdf_len = 0;
    char why[160] = "";
    if (!ml_render_pdf(*state, &pdf, &pdf_len, why, sizeof why))
        fail_msg("ml_render_pdf: %s", why);
    ml_render_opts opts = {.from = "billing@boissipay.example",
                           .date_ms = NOV_1_2026_000503,
                           .pdf = pdf,
                           .pdf_len = pdf_len};
    char *msg = ml_render_message(*state, &opts);
    assert_non_null(msg);
    const char *body = strstr(msg, "\r\n\r\n");
    const char *top =
        strstr(msg, "Content-Type: multipart/mixed; boundary=\"=_bpm_INV-2026-000042\"\r\n");
    assert_non_null(top);
    assert_true(top < body);
    assert_non_null(strstr(msg, "Message-ID: <INV-2026-000042@boissipay>\r\n"));
    /* The alternative part, its two parts as before. */
    const char *alt = strstr(msg, "\r\n--=_bpm_INV-2026-000042\r\n"
                                  "Content-Type: multipart/alternative; "
                                  "boundary=\"=_bp_INV-2026-000042\"\r\n\r\n");
    assert_non_null(alt);
    char *text = part(msg, "=_bp_INV-2026-000042", "text/plain");
    char *want_text = ml_render_text(*state);
    assert_string_equal(text, want_text);
    char *html = part(msg, "=_bp_INV-2026-000042", "text/html");
    char *want_html = ml_render_html(*state);
    assert_string_equal(html, want_html);
    /* The attachment, after the alternative part's end. */
    const char *head = "\r\n--=_bpm_INV-2026-000042\r\n"
                       "Content-Type: application/pdf; name=\"invoice-INV-2026-000042.pdf\"\r\n"
                       "Content-Transfer-Encoding: base64\r\n"
                       "Content-Disposition: attachment; "
                       "filename=\"invoice-INV-2026-000042.pdf\"\r\n\r\n";
    const char *att = strstr(msg, head);
    assert_non_null(att);
    assert_true(att > strstr(msg, "--=_bp_INV-2026-000042--\r\n"));
    att += strlen(head);
    const char *close = "--=_bpm_INV-2026-000042--\r\n";
    const char *end = msg + strlen(msg) - strlen(close);
    assert_string_equal(end, close);
    size_t n = 0;
    unsigned char *decoded = bpt_base64_decode(att, (size_t)(end - att), &n);
    assert_int_equal(n, pdf_len);
    assert_memory_equal(decoded, pdf, n);
    assert_memory_equal(decoded, "%PDF-", 5);
    char *pdf_text = bpt_pdf_text(decoded, n);
    assert_non_null(pdf_text);
    assert_non_null(strstr(pdf_text, "INV-2026-000042"));
    assert_non_null(strstr(pdf_text, "Smith & Sons <Ltd>"));
    assert_non_null(strstr(pdf_text, "Total with tax 21.08 EUR"));
    assert_non_null(strstr(pdf_text, "Direct-debit mandate **********001'"));
    seven_bit_lines(msg);
    /* Same invoice, same date: the same bytes, attachment included. */
    unsigned char *pdf2 = NULL;
    size_t pdf2_len = 0;
    assert_true(ml_render_pdf(*state, &pdf2, &pdf2_len, why, sizeof why));
    opts.pdf = pdf2;
    opts.pdf_len = pdf2_len;
    char *again = ml_render_message(*state, &opts);
    assert_string_equal(msg, again);
    free(again);
    free(pdf2);
    free(pdf_text);
    free(decoded);
    free(text);
    free(want_text);
    free(html);
    free(want_html);
    free(msg);
    free(pdf);
}

static void test_message_id_and_subject(void **state)
{
    char id[80];
    ml_message_id("INV-2026-000042", id, sizeof id);
    assert_string_equal(id, "<INV-2026-000042@boissipay>");
    char *subject = ml_render_subject(*state);
    assert_string_equal(subject, "Invoice INV-2026-000042, period 2026-10");
    free(subject);
}

static void test_nothing_due(void **state)
{
    ml_invoice *inv = *state;
    int64_t saved = inv->total_with_tax;
    inv->total_with_tax = 0;
    char *text = ml_render_text(inv);
    char *html = ml_render_html(inv);
    assert_non_null(strstr(text, "Nothing is due for this period."));
    assert_null(strstr(text, "will be collected"));
    assert_non_null(strstr(html, "Nothing is due for this period."));
    inv->total_with_tax = saved;
    free(text);
    free(html);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_html_escape),
        cmocka_unit_test(test_money),
        cmocka_unit_test(test_qp),
        cmocka_unit_test_setup_teardown(test_text_part, setup, teardown),
        cmocka_unit_test_setup_teardown(test_html_part_escapes_every_value, setup, teardown),
        cmocka_unit_test_setup_teardown(test_message_structure, setup, teardown),
        cmocka_unit_test(test_base64),
        cmocka_unit_test_setup_teardown(test_message_with_pdf, setup, teardown),
        cmocka_unit_test_setup_teardown(test_message_id_and_subject, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nothing_due, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
