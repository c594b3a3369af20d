/* mailer_render: text, HTML and MIME assembly of the invoice e-mail, and the
 * invoice's PDF (bp_invoice_pdf) from the same parsed fields. Pure but for the
 * font files the PDF reads; runs on the consumer thread (rendering happens once,
 * when the invoice arrives, and the bytes are stored so that every attempt sends
 * exactly the same message). */
#include "mailer_render.h"

#include "bp_buf.h"
#include "bp_invoice_pdf.h"
#include "bp_money.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The mail's text, in a bp_buf: a failure sticks and shows at sb_take. */
typedef bp_buf sbuf;

static void sb_add(sbuf *b, const char *s, size_t n)
{
    if (!bp_buf_add(b, s, n))
        return; /* sticks: sb_take answers NULL */
}

static void sb_str(sbuf *b, const char *s) { sb_add(b, s, strlen(s)); }

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (!bp_buf_vprintf(b, fmt, ap))
        b->failed = true; /* sticks: sb_take answers NULL */
    va_end(ap);
}

/* Appends `s` HTML-escaped. */
static void sb_html(sbuf *b, const char *s)
{
    for (const char *p = s; *p; p++) {
        switch (*p) {
        case '&':
            sb_str(b, "&amp;");
            break;
        case '<':
            sb_str(b, "&lt;");
            break;
        case '>':
            sb_str(b, "&gt;");
            break;
        case '"':
            sb_str(b, "&quot;");
            break;
        case '\'':
            sb_str(b, "&#39;");
            break;
        default:
            sb_add(b, p, 1);
        }
    }
}

static char *sb_take(sbuf *b) { return bp_buf_take(b); }

char *ml_html_escape(const char *s)
{
    sbuf b;
    bp_buf_init(&b, 0, 0);
    sb_html(&b, s);
    return sb_take(&b);
}

void ml_format_money(int64_t minor, int exponent, const char *currency, char *buf, size_t size)
{
    char amount[32];
    bp_money_format(minor, exponent, amount, sizeof amount);
    snprintf(buf, size, "%s %s", amount, currency);
}

void ml_message_id(const char *invoice_ref, char *buf, size_t size)
{
    snprintf(buf, size, "<%s@boissipay>", invoice_ref);
}

char *ml_render_subject(const ml_invoice *inv)
{
    sbuf b;
    bp_buf_init(&b, 0, 0);
    sb_printf(&b, "Invoice %s, period %s", inv->invoice_ref, inv->period);
    return sb_take(&b);
}

static const char *or_dash(const char *s) { return s != NULL && s[0] != '\0' ? s : "-"; }

/* The facts of the head, in the order both parts show them. */
typedef struct {
    const char *label, *value;
} fact;

static size_t head_facts(const ml_invoice *inv, fact *f)
{
    size_t n = 0;
    f[n++] = (fact){"Customer", or_dash(inv->customer_ref)};
    f[n++] = (fact){"Contract", or_dash(inv->contract_ref)};
    f[n++] = (fact){"Billing period", inv->period};
    f[n++] = (fact){"Issue date", inv->issue_date};
    f[n++] = (fact){"Due date", inv->due_date};
    f[n++] = (fact){"Direct-debit mandate", or_dash(inv->mandate_ref)};
    return n;
}

char *ml_render_text(const ml_invoice *inv)
{
    sbuf b;
    bp_buf_init(&b, 0, 0);
    char m1[40], m2[40], m3[40];
    sb_printf(&b, "Invoice %s\n\n", inv->invoice_ref);
    fact f[8];
    size_t nf = head_facts(inv, f);
    for (size_t i = 0; i < nf; i++)
        sb_printf(&b, "%-22s %s\n", f[i].label, f[i].value);
    sb_str(&b, "\nLines\n");
    sb_printf(&b, "%-10s  %-8s  %-20s %18s %18s %18s\n", "Date", "Type", "Order", "Without tax",
              "VAT", "With tax");
    for (size_t i = 0; i < inv->nlines; i++) {
        const ml_invoice_line *l = &inv->lines[i];
        ml_format_money(l->without_tax, inv->exponent, inv->currency, m1, sizeof m1);
        ml_format_money(l->tax, inv->exponent, inv->currency, m2, sizeof m2);
        ml_format_money(l->with_tax, inv->exponent, inv->currency, m3, sizeof m3);
        sb_printf(&b, "%-10s  %-8s  %-20s %18s %18s %18s\n", or_dash(l->operation_date),
                  l->operation_type, or_dash(l->order_ref), m1, m2, m3);
    }
    if (inv->nvat > 0) {
        sb_str(&b, "\nVAT breakdown\n");
        sb_printf(&b, "%-10s %18s %18s\n", "Rate", "Base", "VAT");
        for (size_t i = 0; i < inv->nvat; i++) {
            char rate[24];
            snprintf(rate, sizeof rate, "%s %%", inv->vat[i].rate);
            ml_format_money(inv->vat[i].base, inv->exponent, inv->currency, m1, sizeof m1);
            ml_format_money(inv->vat[i].tax, inv->exponent, inv->currency, m2, sizeof m2);
            sb_printf(&b, "%-10s %18s %18s\n", rate, m1, m2);
        }
    }
    ml_format_money(inv->total_without_tax, inv->exponent, inv->currency, m1, sizeof m1);
    ml_format_money(inv->total_tax, inv->exponent, inv->currency, m2, sizeof m2);
    ml_format_money(inv->total_with_tax, inv->exponent, inv->currency, m3, sizeof m3);
    sb_printf(&b, "\n%-22s %18s\n%-22s %18s\n%-22s %18s\n", "Total without tax", m1, "Total VAT",
              m2, "Total with tax", m3);
    if (inv->total_with_tax > 0)
        sb_printf(&b, "\n%s will be collected by SEPA direct debit on %s\nunder mandate %s.\n", m3,
                  inv->due_date, or_dash(inv->mandate_ref));
    else
        sb_str(&b, "\nNothing is due for this period.\n");
    sb_str(&b, "\n-- \nBoissipay deferred payment. This message was sent automatically.\n");
    return sb_take(&b);
}

static void html_row(sbuf *b, const char *tag, const char *const *cells, size_t n,
                     size_t first_right)
{
    sb_str(b, "<tr>");
    for (size_t i = 0; i < n; i++) {
        sb_printf(b, "<%s style=\"padding:4px 8px;text-align:%s\">", tag,
                  i >= first_right ? "right" : "left");
        sb_html(b, cells[i]);
        sb_printf(b, "</%s>", tag);
    }
    sb_str(b, "</tr>\n");
}

static void html_lines(sbuf *b, const ml_invoice *inv)
{
    static const char *const head[] = {"Date", "Type", "Order", "Without tax", "VAT", "With tax"};
    sb_str(b, "<h2>Lines</h2>\n<table style=\"border-collapse:collapse\">\n<thead>");
    html_row(b, "th", head, 6, 3);
    sb_str(b, "</thead>\n<tbody>\n");
    for (size_t i = 0; i < inv->nlines; i++) {
        const ml_invoice_line *l = &inv->lines[i];
        char m1[40], m2[40], m3[40];
        ml_format_money(l->without_tax, inv->exponent, inv->currency, m1, sizeof m1);
        ml_format_money(l->tax, inv->exponent, inv->currency, m2, sizeof m2);
        ml_format_money(l->with_tax, inv->exponent, inv->currency, m3, sizeof m3);
        const char *cells[] = {
            or_dash(l->operation_date), l->operation_type, or_dash(l->order_ref), m1, m2, m3};
        html_row(b, "td", cells, 6, 3);
    }
    sb_str(b, "</tbody>\n</table>\n");
    if (inv->nvat == 0)
        return;
    static const char *const vhead[] = {"VAT rate", "Base", "VAT"};
    sb_str(b, "<h2>VAT breakdown</h2>\n<table style=\"border-collapse:collapse\">\n<thead>");
    html_row(b, "th", vhead, 3, 1);
    sb_str(b, "</thead>\n<tbody>\n");
    for (size_t i = 0; i < inv->nvat; i++) {
        char rate[24], m1[40], m2[40];
        snprintf(rate, sizeof rate, "%s %%", inv->vat[i].rate);
        ml_format_money(inv->vat[i].base, inv->exponent, inv->currency, m1, sizeof m1);
        ml_format_money(inv->vat[i].tax, inv->exponent, inv->currency, m2, sizeof m2);
        const char *cells[] = {rate, m1, m2};
        html_row(b, "td", cells, 3, 1);
    }
    sb_str(b, "</tbody>\n</table>\n");
}

char *ml_render_html(const ml_invoice *inv)
{
    sbuf b;
    bp_buf_init(&b, 0, 0);
    sb_str(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>"
               "Invoice ");
    sb_html(&b, inv->invoice_ref);
    sb_str(&b, "</title>\n</head>\n<body style=\"font-family:Arial,sans-serif\">\n<h1>Invoice ");
    sb_html(&b, inv->invoice_ref);
    sb_str(&b, "</h1>\n<table>\n");
    fact f[8];
    size_t nf = head_facts(inv, f);
    for (size_t i = 0; i < nf; i++) {
        const char *cells[] = {f[i].label, f[i].value};
        html_row(&b, "td", cells, 2, 2);
    }
    sb_str(&b, "</table>\n");
    html_lines(&b, inv);
    char m1[40], m2[40], m3[40];
    ml_format_money(inv->total_without_tax, inv->exponent, inv->currency, m1, sizeof m1);
    ml_format_money(inv->total_tax, inv->exponent, inv->currency, m2, sizeof m2);
    ml_format_money(inv->total_with_tax, inv->exponent, inv->currency, m3, sizeof m3);
    sb_str(&b, "<h2>Totals</h2>\n<table>\n");
    const char *t1[] = {"Total without tax", m1}, *t2[] = {"Total VAT", m2},
               *t3[] = {"Total with tax", m3};
    html_row(&b, "td", t1, 2, 1);
    html_row(&b, "td", t2, 2, 1);
    html_row(&b, "th", t3, 2, 1);
    sb_str(&b, "</table>\n<p>");
    if (inv->total_with_tax > 0) {
        sb_html(&b, m3);
        sb_str(&b, " will be collected by SEPA direct debit on ");
        sb_html(&b, inv->due_date);
        sb_str(&b, " under mandate ");
        sb_html(&b, or_dash(inv->mandate_ref));
        sb_str(&b, ".");
    } else {
        sb_str(&b, "Nothing is due for this period.");
    }
    sb_str(&b, "</p>\n<p style=\"color:#666\">Boissipay deferred payment. This message was sent "
               "automatically.</p>\n</body>\n</html>\n");
    return sb_take(&b);
}

/* One encoded unit of quoted-printable: the byte itself or "=XX". */
static size_t qp_unit(unsigned char ch, bool before_eol, char *out)
{
    bool plain = (ch >= 33 && ch <= 126 && ch != '=') || ((ch == ' ' || ch == '\t') && !before_eol);
    if (plain) {
        out[0] = (char)ch;
        return 1;
    }
    static const char hex[] = "0123456789ABCDEF";
    out[0] = '=';
    out[1] = hex[ch >> 4];
    out[2] = hex[ch & 15];
    return 3;
}

char *ml_qp_encode(const char *s)
{
    sbuf b;
    bp_buf_init(&b, 0, 0);
    size_t col = 0;
    for (const char *p = s; *p; p++) {
        if (*p == '\r' && p[1] == '\n')
            continue; /* the LF ends the line */
        if (*p == '\n') {
            sb_str(&b, "\r\n");
            col = 0;
            continue;
        }
        bool before_eol = p[1] == '\0' || p[1] == '\n' || (p[1] == '\r' && p[2] == '\n');
        char unit[3];
        size_t n = qp_unit((unsigned char)*p, before_eol, unit);
        if (col + n > 75) { /* 76 with the '=' of the soft break */
            sb_str(&b, "=\r\n");
            col = 0;
        }
        sb_add(&b, unit, n);
        col += n;
    }
    if (col > 0)
        sb_str(&b, "\r\n");
    return sb_take(&b);
}

/* RFC 5322 date in UTC: "Sun, 01 Nov 2026 00:05:03 +0000" (C locale names). */
static void rfc5322_date(int64_t ms, char *buf, size_t size)
{
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(buf, size, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
             months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

char *ml_base64_encode(const unsigned char *data, size_t len)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    sbuf b;
    bp_buf_init(&b, len / 57 * 78 + 80, 0);
    char line[80];
    size_t col = 0;
    for (size_t i = 0; i < len; i += 3) {
        unsigned v = (unsigned)data[i] << 16;
        if (i + 1 < len)
            v |= (unsigned)data[i + 1] << 8;
        if (i + 2 < len)
            v |= data[i + 2];
        line[col++] = alphabet[(v >> 18) & 63];
        line[col++] = alphabet[(v >> 12) & 63];
        line[col++] = i + 1 < len ? alphabet[(v >> 6) & 63] : '=';
        line[col++] = i + 2 < len ? alphabet[v & 63] : '=';
        if (col == 76 || i + 3 >= len) {
            line[col++] = '\r';
            line[col++] = '\n';
            sb_add(&b, line, col);
            col = 0;
        }
    }
    return sb_take(&b); /* "" for no bytes; NULL only when out of memory */
}

bool ml_render_pdf(const ml_invoice *inv, unsigned char **pdf, size_t *len, char *reason,
                   size_t size)
{
    bp_invoice_pdf_line *lines = calloc(inv->nlines ? inv->nlines : 1, sizeof *lines);
    bp_invoice_pdf_vat *vat = calloc(inv->nvat ? inv->nvat : 1, sizeof *vat);
    bool ok = lines != NULL && vat != NULL;
    for (size_t i = 0; ok && i < inv->nlines; i++) {
        const ml_invoice_line *l = &inv->lines[i];
        lines[i] = (bp_invoice_pdf_line){
            l->order_ref, l->operation_type, l->operation_date, l->without_tax,
            l->tax,       l->with_tax};
    }
    for (size_t i = 0; ok && i < inv->nvat; i++) {
        snprintf(vat[i].rate, sizeof vat[i].rate, "%s", inv->vat[i].rate);
        vat[i].base = inv->vat[i].base;
        vat[i].tax = inv->vat[i].tax;
    }
    bp_invoice_pdf_doc doc = {.invoice_ref = inv->invoice_ref,
                              .contract_ref = inv->contract_ref,
                              .customer_ref = inv->customer_ref,
                              .invoice_email = inv->invoice_email,
                              .mandate_ref = inv->mandate_ref,
                              .period = inv->period,
                              .issue_date = inv->issue_date,
                              .due_date = inv->due_date,
                              .currency = inv->currency,
                              .exponent = inv->exponent,
                              .total_without_tax = inv->total_without_tax,
                              .total_tax = inv->total_tax,
                              .total_with_tax = inv->total_with_tax,
                              .lines = lines,
                              .nlines = inv->nlines,
                              .vat = vat,
                              .nvat = inv->nvat};
    if (!ok)
        snprintf(reason, size, "out of memory");
    else
        ok = bp_invoice_pdf_render(&doc, pdf, len, reason, size) == BP_PDF_OK;
    free(lines);
    free(vat);
    return ok;
}

static void mime_part(sbuf *b, const char *boundary, const char *type, const char *body)
{
    char *qp = body ? ml_qp_encode(body) : NULL;
    if (qp == NULL) {
        b->failed = true;
        return;
    }
    sb_printf(b,
              "--%s\r\nContent-Type: %s; charset=utf-8\r\n"
              "Content-Transfer-Encoding: quoted-printable\r\n\r\n",
              boundary, type);
    sb_str(b, qp);
    free(qp);
}

/* The PDF as the mixed body's second part. */
static void attachment(sbuf *b, const char *boundary, const ml_invoice *inv,
                       const ml_render_opts *opts)
{
    char *encoded = ml_base64_encode(opts->pdf, opts->pdf_len);
    if (encoded == NULL) {
        b->failed = true;
        return;
    }
    char name[ML_INVOICE_REF_MAX + 16];
    bp_invoice_pdf_filename(inv->invoice_ref, name, sizeof name);
    sb_printf(b,
              "\r\n--%s\r\nContent-Type: application/pdf; name=\"%s\"\r\n"
              "Content-Transfer-Encoding: base64\r\n"
              "Content-Disposition: attachment; filename=\"%s\"\r\n\r\n",
              boundary, name, name);
    sb_str(b, encoded);
    free(encoded);
    sb_printf(b, "--%s--\r\n", boundary);
}

char *ml_render_message(const ml_invoice *inv, const ml_render_opts *opts)
{
    char date[64], msgid[ML_INVOICE_REF_MAX + 16], boundary[ML_INVOICE_REF_MAX + 16];
    char mixed[ML_INVOICE_REF_MAX + 16];
    rfc5322_date(opts->date_ms, date, sizeof date);
    ml_message_id(inv->invoice_ref, msgid, sizeof msgid);
    /* "=_" never occurs in quoted-printable or base64 text, so no body line can match;
     * neither boundary is the start of the other. */
    snprintf(boundary, sizeof boundary, "=_bp_%s", inv->invoice_ref);
    snprintf(mixed, sizeof mixed, "=_bpm_%s", inv->invoice_ref);
    char *subject = ml_render_subject(inv);
    char *text = ml_render_text(inv);
    char *html = ml_render_html(inv);
    sbuf b;
    bp_buf_init(&b, opts->pdf ? opts->pdf_len / 57 * 78 + 16384 : 0, 0);
    if (subject == NULL)
        b.failed = true;
    sb_printf(&b,
              "Date: %s\r\nFrom: Boissipay <%s>\r\nTo: <%s>\r\nSubject: %s\r\n"
              "Message-ID: %s\r\nMIME-Version: 1.0\r\nAuto-Submitted: auto-generated\r\n",
              date, opts->from, inv->invoice_email, subject ? subject : "", msgid);
    if (opts->pdf != NULL)
        sb_printf(&b,
                  "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n"
                  "This is a message in MIME format.\r\n\r\n--%s\r\n",
                  mixed, mixed);
    sb_printf(&b, "Content-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n", boundary);
    if (opts->pdf == NULL)
        sb_str(&b, "This is a message in MIME format.\r\n\r\n");
    mime_part(&b, boundary, "text/plain", text);
    mime_part(&b, boundary, "text/html", html);
    sb_printf(&b, "--%s--\r\n", boundary);
    if (opts->pdf != NULL)
        attachment(&b, mixed, inv, opts);
    free(subject);
    free(text);
    free(html);
    return sb_take(&b);
}
