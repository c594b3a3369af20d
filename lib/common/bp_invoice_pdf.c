/* bp_invoice_pdf: reading the invoice document and drawing it as PDF pages.
 * Layout: a head (seller, title, customer, facts) on the first page, then the
 * lines as a table whose rows grow with wrapped text and whose header repeats
 * on every page, the VAT breakdown, the totals and the pre-notification; a
 * footer with the invoice number and page on every page. No I/O but the font
 * files fontconfig opens once per thread; runs on the caller's thread. */
#include "bp_invoice_pdf.h"

#include "bp_buf.h"
#include "bp_money.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <pango/pangocairo.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A4 in points, and the printable box. */
#define PAGE_W 595.28
#define PAGE_H 841.89
#define MARGIN 48.0
#define CONTENT_W (PAGE_W - 2 * MARGIN)
#define BOTTOM (PAGE_H - MARGIN - 24.0) /* the footer lives below */
#define ROW_PAD 3.0
#define MAX_COLS 6

enum { F_REGULAR, F_BOLD, F_NAME, F_TITLE, F_SMALL, F_COUNT };

static const char *const font_names[F_COUNT] = {"DejaVu Sans 9", "DejaVu Sans Bold 9",
                                                "DejaVu Sans Bold 12", "DejaVu Sans Bold 18",
                                                "DejaVu Sans 7.5"};

typedef struct {
    double x, w;
    PangoAlignment align;
} column;

/* A table being drawn: its columns and header, repeated after a page break. */
typedef struct {
    const column *cols;
    size_t ncols;
    const char *const *head;
} table;

typedef struct {
    const bp_invoice_pdf_doc *doc;
    cairo_t *cr;
    PangoLayout *cell[MAX_COLS];
    PangoFontDescription *font[F_COUNT];
    const table *open; /* the table whose header repeats on a new page */
    double y;
    int page;
} pdf;

static const char *or_dash(const char *s) { return s != NULL && s[0] != '\0' ? s : "-"; }

static void say(char *reason, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void say(char *reason, size_t size, const char *fmt, ...)
{
    if (reason == NULL || size == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, size, fmt, ap);
    va_end(ap);
}

/* ---------- small helpers every caller shares ---------- */

void bp_invoice_pdf_mask(const char *ref, char *buf, size_t size)
{
    if (size == 0)
        return;
    size_t chars = 0;
    for (const unsigned char *p = (const unsigned char *)ref; *p; p++)
        chars += (*p & 0xC0) != 0x80;
    size_t masked =
        chars > BP_INVOICE_PDF_MANDATE_SHOWN ? chars - BP_INVOICE_PDF_MANDATE_SHOWN : chars;
    size_t out = 0, seen = 0;
    for (const unsigned char *p = (const unsigned char *)ref; *p && out + 1 < size; p++) {
        bool start = (*p & 0xC0) != 0x80;
        seen += start;
        if (seen <= masked) {
            if (start)
                buf[out++] = '*';
        } else {
            buf[out++] = (char)*p;
        }
    }
    buf[out] = '\0';
}

void bp_invoice_pdf_filename(const char *invoice_ref, char *buf, size_t size)
{
    snprintf(buf, size, "invoice-%s.pdf", invoice_ref);
}

bool bp_invoice_pdf_rate_text(double rate, char *buf, size_t size)
{
    if (!(rate >= 0 && rate <= 100) || size < 8)
        return false;
    snprintf(buf, size, "%.3f", rate);
    char *dot = strchr(buf, '.');
    char *end = buf + strlen(buf);
    while (dot != NULL && end > dot + 1 && end[-1] == '0')
        *--end = '\0';
    if (dot != NULL && end == dot + 1)
        *dot = '\0';
    return true;
}

static void money(const pdf *p, int64_t minor, bool with_currency, char *buf, size_t size)
{
    char amount[40];
    bp_money_format(minor, p->doc->exponent, amount, sizeof amount);
    if (with_currency)
        snprintf(buf, size, "%s %s", amount, p->doc->currency);
    else
        snprintf(buf, size, "%s", amount);
}

/* ---------- text and pages ---------- */

/* Sets `s` into layout `l` for a box of width `w`; returns its height. */
static double set_text(pdf *p, PangoLayout *l, int font, const char *s, double w,
                       PangoAlignment align)
{
    pango_layout_set_font_description(l, p->font[font]);
    pango_layout_set_width(l, (int)(w * PANGO_SCALE));
    pango_layout_set_alignment(l, align);
    pango_layout_set_text(l, s, -1);
    int h = 0;
    pango_layout_get_size(l, NULL, &h);
    return (double)h / PANGO_SCALE;
}

static void show(pdf *p, PangoLayout *l, double x, double y)
{
    cairo_move_to(p->cr, x, y);
    pango_cairo_show_layout(p->cr, l);
}

/* Draws one paragraph at the current position and moves below it. */
static void paragraph(pdf *p, int font, const char *s, double x, double w, PangoAlignment align,
                      double gap)
{
    double h = set_text(p, p->cell[0], font, s, w, align);
    show(p, p->cell[0], x, p->y);
    p->y += h + gap;
}

static void rule_from(pdf *p, double x0, double y, double grey, double width)
{
    cairo_save(p->cr);
    cairo_set_source_rgb(p->cr, grey, grey, grey);
    cairo_set_line_width(p->cr, width);
    cairo_move_to(p->cr, x0, y);
    cairo_line_to(p->cr, MARGIN + CONTENT_W, y);
    cairo_stroke(p->cr);
    cairo_restore(p->cr);
}

static void rule(pdf *p, double y, double grey, double width)
{
    rule_from(p, MARGIN, y, grey, width);
}

static void footer(pdf *p)
{
    char text[160];
    snprintf(text, sizeof text, "Invoice %s \xe2\x80\x94 page %d", p->doc->invoice_ref, p->page);
    rule(p, PAGE_H - MARGIN - 12, 0.75, 0.5);
    set_text(p, p->cell[0], F_SMALL, text, CONTENT_W, PANGO_ALIGN_RIGHT);
    show(p, p->cell[0], MARGIN, PAGE_H - MARGIN - 8);
}

static void table_header(pdf *p, const table *t);

/* Ends the page and starts the next one, with the open table's header. */
static void next_page(pdf *p)
{
    footer(p);
    cairo_show_page(p->cr);
    p->page++;
    p->y = MARGIN;
    char text[160];
    snprintf(text, sizeof text, "Invoice %s (continued)", p->doc->invoice_ref);
    paragraph(p, F_BOLD, text, MARGIN, CONTENT_W, PANGO_ALIGN_LEFT, 10);
    if (p->open != NULL)
        table_header(p, p->open);
}

/* Breaks the page when `need` points do not fit below the current position. */
static void room_for(pdf *p, double need)
{
    if (p->y + need > BOTTOM)
        next_page(p);
}

/* One row of cells, as high as its highest cell; breaks the page first when
 * the row does not fit (a row never splits). */
static void row(pdf *p, const table *t, const char *const *cells, int font, bool is_header)
{
    double h = 0;
    for (size_t i = 0; i < t->ncols; i++) {
        double ch = set_text(p, p->cell[i], font, cells[i], t->cols[i].w - 4, t->cols[i].align);
        if (ch > h)
            h = ch;
    }
    h += 2 * ROW_PAD;
    if (!is_header && p->y + h > BOTTOM) {
        next_page(p); /* draws the header again, which reused the layouts */
        for (size_t i = 0; i < t->ncols; i++)
            set_text(p, p->cell[i], font, cells[i], t->cols[i].w - 4, t->cols[i].align);
    }
    for (size_t i = 0; i < t->ncols; i++)
        show(p, p->cell[i], t->cols[i].x + 2, p->y + ROW_PAD);
    p->y += h;
    rule_from(p, t->cols[0].x, p->y, is_header ? 0.3 : 0.85, is_header ? 0.8 : 0.4);
}

static void table_header(pdf *p, const table *t) { row(p, t, t->head, F_BOLD, true); }

/* ---------- the sections ---------- */

static void head(pdf *p)
{
    const bp_invoice_pdf_doc *d = p->doc;
    const char *seller =
        d->seller != NULL && d->seller[0] != '\0' ? d->seller : BP_INVOICE_PDF_SELLER;
    /* Seller on the left, its first line as the name. */
    const char *nl = strchr(seller, '\n');
    char name[256];
    snprintf(name, sizeof name, "%.*s", nl ? (int)(nl - seller) : (int)strlen(seller), seller);
    double top = p->y;
    paragraph(p, F_NAME, name, MARGIN, CONTENT_W / 2, PANGO_ALIGN_LEFT, 2);
    if (nl != NULL && nl[1] != '\0')
        paragraph(p, F_REGULAR, nl + 1, MARGIN, CONTENT_W / 2, PANGO_ALIGN_LEFT, 0);
    double left_end = p->y;
    /* Title and number on the right. */
    p->y = top;
    paragraph(p, F_TITLE, "INVOICE", MARGIN + CONTENT_W / 2, CONTENT_W / 2, PANGO_ALIGN_RIGHT, 2);
    paragraph(p, F_BOLD, d->invoice_ref, MARGIN + CONTENT_W / 2, CONTENT_W / 2, PANGO_ALIGN_RIGHT,
              0);
    p->y = (p->y > left_end ? p->y : left_end) + 24;

    /* Customer on the left, the facts on the right. */
    top = p->y;
    paragraph(p, F_BOLD, "Bill to", MARGIN, CONTENT_W / 2 - 10, PANGO_ALIGN_LEFT, 3);
    paragraph(p, F_NAME, or_dash(d->customer_ref), MARGIN, CONTENT_W / 2 - 10, PANGO_ALIGN_LEFT, 3);
    char text[512];
    snprintf(text, sizeof text, "Contract %s", or_dash(d->contract_ref));
    paragraph(p, F_REGULAR, text, MARGIN, CONTENT_W / 2 - 10, PANGO_ALIGN_LEFT, 2);
    if (d->invoice_email != NULL && d->invoice_email[0] != '\0')
        paragraph(p, F_REGULAR, d->invoice_email, MARGIN, CONTENT_W / 2 - 10, PANGO_ALIGN_LEFT, 0);
    left_end = p->y;

    char mandate[256];
    bp_invoice_pdf_mask(or_dash(d->mandate_ref), mandate, sizeof mandate);
    if (d->mandate_ref == NULL || d->mandate_ref[0] == '\0')
        snprintf(mandate, sizeof mandate, "-");
    const char *facts[][2] = {{"Invoice number", d->invoice_ref},
                              {"Invoice date", d->issue_date},
                              {"Billing period", d->period},
                              {"Due date", d->due_date},
                              {"Direct-debit mandate", mandate}};
    static const column fact_cols[] = {
        {MARGIN + CONTENT_W / 2, CONTENT_W / 4, PANGO_ALIGN_LEFT},
        {MARGIN + 3 * CONTENT_W / 4, CONTENT_W / 4, PANGO_ALIGN_RIGHT}};
    p->y = top;
    for (size_t i = 0; i < sizeof facts / sizeof facts[0]; i++) {
        double h1 = set_text(p, p->cell[0], F_BOLD, facts[i][0], fact_cols[0].w, PANGO_ALIGN_LEFT);
        double h2 =
            set_text(p, p->cell[1], F_REGULAR, facts[i][1], fact_cols[1].w, PANGO_ALIGN_RIGHT);
        show(p, p->cell[0], fact_cols[0].x, p->y);
        show(p, p->cell[1], fact_cols[1].x, p->y);
        p->y += (h1 > h2 ? h1 : h2) + 3;
    }
    p->y = (p->y > left_end ? p->y : left_end) + 24;
}

static void lines(pdf *p)
{
    const bp_invoice_pdf_doc *d = p->doc;
    const char *const headers[] = {"Date", "Type", "Order", "Without tax", "VAT", "With tax"};
    const double amount_w = 86, date_w = 68, type_w = 70;
    const double order_w = CONTENT_W - date_w - type_w - 3 * amount_w;
    const column cols[] = {
        {MARGIN, date_w, PANGO_ALIGN_LEFT},
        {MARGIN + date_w, type_w, PANGO_ALIGN_LEFT},
        {MARGIN + date_w + type_w, order_w, PANGO_ALIGN_LEFT},
        {MARGIN + date_w + type_w + order_w, amount_w, PANGO_ALIGN_RIGHT},
        {MARGIN + date_w + type_w + order_w + amount_w, amount_w, PANGO_ALIGN_RIGHT},
        {MARGIN + date_w + type_w + order_w + 2 * amount_w, amount_w, PANGO_ALIGN_RIGHT}};
    table t = {cols, 6, headers};
    room_for(p, 80);
    paragraph(p, F_NAME, "Lines", MARGIN, CONTENT_W, PANGO_ALIGN_LEFT, 2);
    char unit[48];
    snprintf(unit, sizeof unit, "Amounts in %s", d->currency);
    paragraph(p, F_SMALL, unit, MARGIN, CONTENT_W, PANGO_ALIGN_LEFT, 4);
    table_header(p, &t);
    p->open = &t;
    for (size_t i = 0; i < d->nlines; i++) {
        const bp_invoice_pdf_line *l = &d->lines[i];
        char m1[40], m2[40], m3[40];
        money(p, l->without_tax, false, m1, sizeof m1);
        money(p, l->tax, false, m2, sizeof m2);
        money(p, l->with_tax, false, m3, sizeof m3);
        const char *cells[] = {or_dash(l->operation_date),
                               or_dash(l->operation_type),
                               or_dash(l->order_ref),
                               m1,
                               m2,
                               m3};
        row(p, &t, cells, F_REGULAR, false);
    }
    p->open = NULL;
    p->y += 18;
}

static void vat(pdf *p)
{
    const bp_invoice_pdf_doc *d = p->doc;
    if (d->nvat == 0)
        return;
    char h2[48], h3[48];
    snprintf(h2, sizeof h2, "Base (%s)", d->currency);
    snprintf(h3, sizeof h3, "VAT (%s)", d->currency);
    const char *const headers[] = {"VAT rate", h2, h3};
    const double x0 = MARGIN + CONTENT_W - 3 * 110;
    const column cols[] = {{x0, 110, PANGO_ALIGN_LEFT},
                           {x0 + 110, 110, PANGO_ALIGN_RIGHT},
                           {x0 + 220, 110, PANGO_ALIGN_RIGHT}};
    table t = {cols, 3, headers};
    room_for(p, 60);
    paragraph(p, F_NAME, "VAT breakdown", MARGIN, CONTENT_W, PANGO_ALIGN_LEFT, 6);
    table_header(p, &t);
    p->open = &t;
    for (size_t i = 0; i < d->nvat; i++) {
        char rate[24], m1[40], m2[40];
        snprintf(rate, sizeof rate, "%s %%", d->vat[i].rate);
        money(p, d->vat[i].base, false, m1, sizeof m1);
        money(p, d->vat[i].tax, false, m2, sizeof m2);
        const char *cells[] = {rate, m1, m2};
        row(p, &t, cells, F_REGULAR, false);
    }
    p->open = NULL;
    p->y += 18;
}

static void totals(pdf *p)
{
    const bp_invoice_pdf_doc *d = p->doc;
    char m1[48], m2[48], m3[48];
    money(p, d->total_without_tax, true, m1, sizeof m1);
    money(p, d->total_tax, true, m2, sizeof m2);
    money(p, d->total_with_tax, true, m3, sizeof m3);
    const char *rows[][2] = {{"Total without tax", m1}, {"Total VAT", m2}, {"Total with tax", m3}};
    const column cols[] = {{MARGIN + CONTENT_W - 330, 180, PANGO_ALIGN_LEFT},
                           {MARGIN + CONTENT_W - 150, 150, PANGO_ALIGN_RIGHT}};
    room_for(p, 140);
    for (size_t i = 0; i < 3; i++) {
        int font = i == 2 ? F_NAME : F_REGULAR;
        double h1 = set_text(p, p->cell[0], font, rows[i][0], cols[0].w, cols[0].align);
        double h2 = set_text(p, p->cell[1], font, rows[i][1], cols[1].w, cols[1].align);
        if (i == 2) {
            rule_from(p, cols[0].x, p->y, 0.3, 0.8);
            p->y += 4;
        }
        show(p, p->cell[0], cols[0].x, p->y);
        show(p, p->cell[1], cols[1].x, p->y);
        p->y += (h1 > h2 ? h1 : h2) + 4;
    }
    p->y += 18;

    /* The SEPA pre-notification, in the words of the invoice mail. */
    char sentence[512];
    if (d->total_with_tax > 0 && d->mandate_ref != NULL && d->mandate_ref[0] != '\0') {
        char mandate[256];
        bp_invoice_pdf_mask(d->mandate_ref, mandate, sizeof mandate);
        snprintf(sentence, sizeof sentence,
                 "%s will be collected by SEPA direct debit on %s under mandate %s.", m3,
                 d->due_date, mandate);
    } else if (d->total_with_tax > 0) {
        snprintf(sentence, sizeof sentence, "%s will be collected by SEPA direct debit on %s.", m3,
                 d->due_date);
    } else {
        snprintf(sentence, sizeof sentence, "Nothing is due for this period.");
    }
    paragraph(p, F_BOLD, sentence, MARGIN, CONTENT_W, PANGO_ALIGN_LEFT, 6);
}

/* ---------- the document ---------- */

static cairo_status_t write_out(void *closure, const unsigned char *data, unsigned int length)
{
    return bp_buf_add(closure, data, length) ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

static bool doc_complete(const bp_invoice_pdf_doc *d, char *reason, size_t size)
{
    const char *missing = d == NULL                             ? "the document"
                          : d->invoice_ref == NULL              ? "invoiceRef"
                          : d->period == NULL                   ? "period"
                          : d->issue_date == NULL               ? "issueDate"
                          : d->due_date == NULL                 ? "dueDate"
                          : d->currency == NULL                 ? "currency"
                          : (d->nlines > 0 && d->lines == NULL) ? "lines"
                          : (d->nvat > 0 && d->vat == NULL)     ? "vatBreakdown"
                                                                : NULL;
    if (missing != NULL) {
        say(reason, size, "%s is missing", missing);
        return false;
    }
    if (d->exponent < 0 || d->exponent > 4) {
        say(reason, size, "the currency's exponent must be 0 to 4");
        return false;
    }
    return true;
}

/* Document properties; the creation date is the issue date, so that the same
 * invoice gives the same bytes. */
static void metadata(cairo_surface_t *s, const bp_invoice_pdf_doc *d)
{
    char text[256];
    snprintf(text, sizeof text, "Invoice %s", d->invoice_ref);
    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_TITLE, text);
    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATOR, "Boissipay");
    snprintf(text, sizeof text, "%.10sT00:00:00Z", d->issue_date);
    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATE_DATE, text);
}

static bool draw(pdf *p)
{
    for (int i = 0; i < F_COUNT; i++) {
        p->font[i] = pango_font_description_from_string(font_names[i]);
        if (p->font[i] == NULL)
            return false;
    }
    /* Font sizes in points, as the page: 72 units per inch (pango's default is 96). */
    PangoContext *ctx = pango_cairo_create_context(p->cr);
    if (ctx == NULL)
        return false;
    pango_cairo_context_set_resolution(ctx, 72.0);
    for (int i = 0; i < MAX_COLS; i++) {
        p->cell[i] = pango_layout_new(ctx);
        pango_layout_set_wrap(p->cell[i], PANGO_WRAP_WORD_CHAR);
    }
    g_object_unref(ctx); /* the layouts keep it */
    cairo_set_source_rgb(p->cr, 0.1, 0.1, 0.1);
    p->y = MARGIN;
    p->page = 1;
    head(p);
    lines(p);
    vat(p);
    totals(p);
    footer(p);
    cairo_show_page(p->cr);
    return true;
}

static void release(pdf *p)
{
    for (int i = 0; i < MAX_COLS; i++) {
        if (p->cell[i] != NULL)
            g_object_unref(p->cell[i]);
    }
    for (int i = 0; i < F_COUNT; i++)
        pango_font_description_free(p->font[i]);
}

bp_pdf_result bp_invoice_pdf_render(const bp_invoice_pdf_doc *doc, unsigned char **pdf_out,
                                    size_t *len, char *reason, size_t size)
{
    if (!doc_complete(doc, reason, size))
        return BP_PDF_INVALID;
    bp_buf out;
    bp_buf_init(&out, 32 * 1024, 0);
    cairo_surface_t *s = cairo_pdf_surface_create_for_stream(write_out, &out, PAGE_W, PAGE_H);
    metadata(s, doc);
    pdf p = {.doc = doc, .cr = cairo_create(s)};
    bool drawn = cairo_status(p.cr) == CAIRO_STATUS_SUCCESS && draw(&p);
    release(&p);
    cairo_status_t st = cairo_status(p.cr);
    cairo_destroy(p.cr);
    cairo_surface_finish(s);
    if (st == CAIRO_STATUS_SUCCESS)
        st = cairo_surface_status(s);
    cairo_surface_destroy(s);
    if (!drawn || st != CAIRO_STATUS_SUCCESS || out.failed || out.len == 0) {
        say(reason, size, "rendering failed: %s",
            st != CAIRO_STATUS_SUCCESS ? cairo_status_to_string(st) : "out of memory");
        bp_buf_free(&out);
        return BP_PDF_ERROR;
    }
    *len = out.len;
    *pdf_out = (unsigned char *)bp_buf_take(&out);
    return BP_PDF_OK;
}

/* ---------- the JSON document ---------- */

static const char *member(const json_t *obj, const char *name)
{
    const json_t *v = json_object_get(obj, name);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static bool amount(const json_t *obj, const char *path, const char *name, const char *currency,
                   int64_t *out, char *reason, size_t size)
{
    bp_money_result r = bp_money_read(obj, name, currency, true, out);
    if (r == BP_MONEY_OK)
        return true;
    say(reason, size, "%s%s %s", path, name, bp_money_result_text(r));
    return false;
}

static bool read_lines(const json_t *inv, bp_invoice_pdf_doc *d, bp_invoice_pdf_line **out,
                       char *reason, size_t size)
{
    const json_t *arr = json_object_get(inv, "lines");
    if (!json_is_array(arr)) {
        say(reason, size, "lines must be an array");
        return false;
    }
    d->nlines = json_array_size(arr);
    *out = d->nlines ? calloc(d->nlines, sizeof **out) : NULL;
    if (d->nlines && *out == NULL) {
        say(reason, size, "out of memory");
        return false;
    }
    for (size_t i = 0; i < d->nlines; i++) {
        const json_t *l = json_array_get(arr, i);
        if (!json_is_object(l)) {
            say(reason, size, "lines[%zu] must be an object", i);
            return false;
        }
        char path[40];
        snprintf(path, sizeof path, "lines[%zu].", i);
        bp_invoice_pdf_line *line = &(*out)[i];
        line->order_ref = member(l, "orderRef");
        line->operation_type = member(l, "operationType");
        line->operation_date = member(l, "operationDate");
        if (!amount(l, path, "amountWithoutTax", d->currency, &line->without_tax, reason, size) ||
            !amount(l, path, "amountTax", d->currency, &line->tax, reason, size) ||
            !amount(l, path, "amountWithTax", d->currency, &line->with_tax, reason, size))
            return false;
    }
    d->lines = *out;
    return true;
}

static bool read_vat(const json_t *inv, bp_invoice_pdf_doc *d, bp_invoice_pdf_vat **out,
                     char *reason, size_t size)
{
    const json_t *arr = json_object_get(inv, "vatBreakdown");
    if (arr == NULL || json_is_null(arr))
        return true; /* no breakdown: none shown */
    if (!json_is_array(arr)) {
        say(reason, size, "vatBreakdown must be an array");
        return false;
    }
    d->nvat = json_array_size(arr);
    *out = d->nvat ? calloc(d->nvat, sizeof **out) : NULL;
    if (d->nvat && *out == NULL) {
        say(reason, size, "out of memory");
        return false;
    }
    for (size_t i = 0; i < d->nvat; i++) {
        const json_t *v = json_array_get(arr, i);
        if (!json_is_object(v)) {
            say(reason, size, "vatBreakdown[%zu] must be an object", i);
            return false;
        }
        char path[40];
        snprintf(path, sizeof path, "vatBreakdown[%zu].", i);
        bp_invoice_pdf_vat *row_out = &(*out)[i];
        const json_t *rate = json_object_get(v, "vatRate");
        if (!json_is_number(rate) ||
            !bp_invoice_pdf_rate_text(json_number_value(rate), row_out->rate,
                                      sizeof row_out->rate)) {
            say(reason, size, "%svatRate must be a number from 0 to 100", path);
            return false;
        }
        if (!amount(v, path, "base", d->currency, &row_out->base, reason, size) ||
            !amount(v, path, "tax", d->currency, &row_out->tax, reason, size))
            return false;
    }
    d->vat = *out;
    return true;
}

bool bp_invoice_pdf_doc_read(const json_t *inv, bp_invoice_pdf_doc *d, char *reason, size_t size)
{
    memset(d, 0, sizeof *d);
    if (!json_is_object(inv)) {
        say(reason, size, "the invoice is not a JSON object");
        return false;
    }
    d->invoice_ref = member(inv, "invoiceRef");
    d->contract_ref = member(inv, "contractRef");
    d->customer_ref = member(inv, "customerRef");
    d->invoice_email = member(inv, "invoiceEmail");
    d->mandate_ref = member(inv, "mandateReference");
    d->period = member(inv, "period");
    d->issue_date = member(inv, "issueDate");
    d->due_date = member(inv, "dueDate");
    d->currency = member(inv, "currency");
    if (!doc_complete(d, reason, size))
        return false;
    if (!bp_currency_exponent(d->currency, &d->exponent)) {
        say(reason, size, "currency is not an ISO 4217 currency code");
        return false;
    }
    bp_invoice_pdf_line *lines = NULL;
    bp_invoice_pdf_vat *vat = NULL;
    bool ok =
        amount(inv, "", "totalWithoutTax", d->currency, &d->total_without_tax, reason, size) &&
        amount(inv, "", "totalTax", d->currency, &d->total_tax, reason, size) &&
        amount(inv, "", "totalWithTax", d->currency, &d->total_with_tax, reason, size) &&
        read_lines(inv, d, &lines, reason, size) && read_vat(inv, d, &vat, reason, size);
    if (!ok) {
        free(lines);
        free(vat);
        memset(d, 0, sizeof *d);
    }
    return ok;
}

void bp_invoice_pdf_doc_free(bp_invoice_pdf_doc *d)
{
    free((void *)d->lines);
    free((void *)d->vat);
    memset(d, 0, sizeof *d);
}

bp_pdf_result bp_invoice_pdf_from_json(const json_t *invoice, unsigned char **pdf_out, size_t *len,
                                       char *reason, size_t size)
{
    bp_invoice_pdf_doc d;
    if (!bp_invoice_pdf_doc_read(invoice, &d, reason, size))
        return BP_PDF_INVALID;
    bp_pdf_result r = bp_invoice_pdf_render(&d, pdf_out, len, reason, size);
    bp_invoice_pdf_doc_free(&d);
    return r;
}

/* ---------- sanitizer builds ---------- */

#if defined(__SANITIZE_ADDRESS__)
#define BP_PDF_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BP_PDF_ASAN 1
#endif
#endif
#ifdef BP_PDF_ASAN
/* LeakSanitizer's suppressions for every program that links the renderer (the
 * sanitizer runtime asks the program for them at exit): fontconfig keeps its
 * configuration and font patterns for the life of the process on purpose (only
 * FcFini, which nothing else may still use, would release them). Scoped to that
 * library: only allocations whose stack passes through libfontconfig are let go; a
 * leak of ours, or a cairo, pango or glib object we fail to release, is reported. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) { return "leak:libfontconfig.so\n"; }
#endif
