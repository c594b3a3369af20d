/* bp_http_head: the request-head checks of bp_http_head.h. A head is read line by
 * line (LF ends a line, one CR before it is dropped); the request line first, then
 * each header field, keeping only what the framing checks need (Host count,
 * Content-Length, Transfer-Encoding). Pure; no allocation. */
#include "bp_http_head.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

typedef struct {
    const char *p;
    size_t len;
} span;

static bool verdict(bp_http_head_verdict *v, int status, const char *code, const char *message)
{
    v->status = status;
    v->code = code;
    v->message = message;
    return false;
}

static bool malformed(bp_http_head_verdict *v, const char *message)
{
    return verdict(v, 400, "MALFORMED_REQUEST", message);
}

static bool is_tchar(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static bool is_ctl(unsigned char c) { return c < 0x20 || c == 0x7f; }

static bool is_token(span s)
{
    if (s.len == 0)
        return false;
    for (size_t i = 0; i < s.len; i++)
        if (!is_tchar((unsigned char)s.p[i]))
            return false;
    return true;
}

static bool span_is(span s, const char *word)
{
    return s.len == strlen(word) && strncasecmp(s.p, word, s.len) == 0;
}

static span trim(span s)
{
    while (s.len > 0 && (s.p[0] == ' ' || s.p[0] == '\t')) {
        s.p++;
        s.len--;
    }
    while (s.len > 0 && (s.p[s.len - 1] == ' ' || s.p[s.len - 1] == '\t'))
        s.len--;
    return s;
}

/* Cuts the next line off *rest; false when no LF is left. A CR is dropped only
 * right before the LF; any other CR stays in the line (and is refused later). */
static bool next_line(span *rest, span *line)
{
    const char *lf = memchr(rest->p, '\n', rest->len);
    if (lf == NULL)
        return false;
    line->p = rest->p;
    line->len = (size_t)(lf - rest->p);
    if (line->len > 0 && line->p[line->len - 1] == '\r')
        line->len--;
    rest->len -= (size_t)(lf - rest->p) + 1;
    rest->p = lf + 1;
    return true;
}

/* Skips the empty lines a client may send before a request (RFC 9112, 2.2). */
static span skip_empty_lines(span s)
{
    for (;;) {
        span probe = s, line;
        if (!next_line(&probe, &line) || line.len != 0)
            return s;
        s = probe;
    }
}

size_t bp_http_head_length(const char *buf, size_t len)
{
    span rest = skip_empty_lines((span){buf, len}), line;
    while (next_line(&rest, &line))
        if (line.len == 0)
            return (size_t)(rest.p - buf);
    return 0;
}

/* Checks the request line; *http11 tells whether it asks for HTTP/1.1. */
static bool check_request_line(span line, bool *http11, bp_http_head_verdict *v)
{
    const char *sp1 = memchr(line.p, ' ', line.len);
    if (sp1 == NULL)
        return malformed(v, "the request line must be: METHOD target HTTP/1.1");
    span method = {line.p, (size_t)(sp1 - line.p)};
    span after = {sp1 + 1, line.len - method.len - 1};
    const char *sp2 = memchr(after.p, ' ', after.len);
    span target = {after.p, sp2 ? (size_t)(sp2 - after.p) : after.len};
    if (target.len > BP_HTTP_HEAD_MAX_TARGET)
        return verdict(v, 414, "URI_TOO_LONG", "the request-target is longer than 8192 bytes");
    if (sp2 == NULL || !is_token(method) || method.len > 32 || target.len == 0)
        return malformed(v, "the request line must be: METHOD target HTTP/1.1");
    span version = {sp2 + 1, after.len - target.len - 1};
    for (size_t i = 0; i < target.len; i++)
        if (is_ctl((unsigned char)target.p[i]))
            return malformed(v, "the request-target contains a control character");
    if (span_is(version, "HTTP/1.1") || span_is(version, "HTTP/1.0")) {
        *http11 = version.p[7] == '1';
        return memcmp(version.p, "HTTP/", 5) == 0 ||
               malformed(v, "the HTTP version must be written HTTP/1.1 or HTTP/1.0");
    }
    if (version.len == 8 && memcmp(version.p, "HTTP/", 5) == 0 && version.p[5] >= '0' &&
        version.p[5] <= '9' && version.p[6] == '.' && version.p[7] >= '0' && version.p[7] <= '9')
        return verdict(v, 505, "HTTP_VERSION_NOT_SUPPORTED",
                       "only HTTP/1.1 and HTTP/1.0 are supported");
    return malformed(v, "the request line must end with HTTP/1.1 or HTTP/1.0");
}

typedef struct {
    int hosts;
    bool has_length, has_chunked, has_other_coding;
    uint64_t length;
} head_fields;

static bool check_length(span value, head_fields *f, bp_http_head_verdict *v)
{
    if (value.len == 0)
        return malformed(v, "Content-Length must be a number of bytes");
    uint64_t n = 0;
    for (size_t i = 0; i < value.len; i++) {
        if (value.p[i] < '0' || value.p[i] > '9')
            return malformed(v, "Content-Length must be a number of bytes");
        if (n > (UINT64_MAX - 9) / 10)
            return verdict(v, 413, "PAYLOAD_TOO_LARGE", "Content-Length is too large");
        n = n * 10 + (uint64_t)(value.p[i] - '0');
    }
    if (n > INT64_MAX)
        return verdict(v, 413, "PAYLOAD_TOO_LARGE", "Content-Length is too large");
    if (f->has_length && f->length != n)
        return malformed(v, "two different Content-Length headers");
    f->has_length = true;
    f->length = n;
    return true;
}

static bool check_field(span line, head_fields *f, bp_http_head_verdict *v)
{
    if (line.p[0] == ' ' || line.p[0] == '\t')
        return malformed(v, "header lines must not be folded (obsolete line folding)");
    const char *colon = memchr(line.p, ':', line.len);
    if (colon == NULL)
        return malformed(v, "a header line must be: Name: value");
    span name = {line.p, (size_t)(colon - line.p)};
    if (!is_token(name))
        return malformed(v, "a header name must be a token, with no space before the colon");
    span value = trim((span){colon + 1, line.len - name.len - 1});
    for (size_t i = 0; i < value.len; i++)
        if (value.p[i] != '\t' && is_ctl((unsigned char)value.p[i]))
            return malformed(v, "a header value contains a control character");
    if (span_is(name, "Host"))
        f->hosts++;
    else if (span_is(name, "Content-Length"))
        return check_length(value, f, v);
    else if (span_is(name, "Transfer-Encoding")) {
        if (span_is(value, "chunked"))
            f->has_chunked = true;
        else
            f->has_other_coding = true;
    }
    return true;
}

bool bp_http_head_check(const char *head, size_t len, bp_http_head_verdict *v)
{
    if (len > BP_HTTP_HEAD_MAX_BYTES)
        return verdict(v, 431, "HEADERS_TOO_LARGE",
                       "the request line and headers are larger than 32768 bytes");
    if (memchr(head, '\0', len) != NULL)
        return malformed(v, "the request head contains a NUL byte");
    span rest = skip_empty_lines((span){head, len}), line;
    bool http11 = false;
    if (!next_line(&rest, &line))
        return malformed(v, "no request line");
    if (!check_request_line(line, &http11, v))
        return false;
    head_fields f = {0};
    while (next_line(&rest, &line) && line.len > 0) {
        if (memchr(line.p, '\r', line.len) != NULL)
            return malformed(v, "a header line contains a bare CR");
        if (!check_field(line, &f, v))
            return false;
    }
    if (f.has_other_coding)
        return verdict(v, 501, "NOT_IMPLEMENTED", "only Transfer-Encoding: chunked is supported");
    if (f.has_chunked && f.has_length)
        return malformed(v, "Content-Length and Transfer-Encoding must not be sent together");
    if (http11 && f.hosts != 1)
        return malformed(v, f.hosts == 0 ? "an HTTP/1.1 request needs a Host header"
                                         : "more than one Host header");
    return true;
}

void bp_http_head_check_partial(const char *head, size_t len, bp_http_head_verdict *v)
{
    span rest = skip_empty_lines((span){head, len}), line;
    bool http11 = false;
    v->status = 0;
    if (!next_line(&rest, &line)) {
        verdict(v, 414, "URI_TOO_LONG", "the request line is longer than the server accepts");
        return;
    }
    if (check_request_line(line, &http11, v))
        verdict(v, 431, "HEADERS_TOO_LARGE",
                "the request line and headers are larger than 32768 bytes");
}

void bp_http_head_path(const char *head, size_t len, char *out, size_t size)
{
    out[0] = '\0';
    span rest = skip_empty_lines((span){head, len});
    const char *sp = memchr(rest.p, ' ', rest.len);
    if (sp == NULL || size == 0)
        return;
    size_t n = 0;
    for (const char *p = sp + 1; p < rest.p + rest.len && *p != ' ' && *p != '?'; p++) {
        if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f || n + 1 >= size) {
            out[0] = '\0';
            return;
        }
        out[n++] = *p;
    }
    out[n] = '\0';
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool bp_http_target_has_control(const char *target)
{
    for (const char *p = target; *p; p++) {
        if (is_ctl((unsigned char)*p))
            return true;
        if (*p == '%' && hex_value(p[1]) >= 0 && hex_value(p[2]) >= 0) {
            int c = hex_value(p[1]) * 16 + hex_value(p[2]);
            if (is_ctl((unsigned char)c))
                return true;
            p += 2;
        }
    }
    return false;
}
