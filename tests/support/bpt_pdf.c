/* bpt_pdf: PDF documents read back through poppler-utils. Test-only code. */
#include "bpt_pdf.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Writes the PDF to a new temporary file; its path goes into path. */
static bool to_file(const void *pdf, size_t len, char *path, size_t size)
{
    const char *dir = getenv("TMPDIR");
    snprintf(path, size, "%s/bpt-pdf-XXXXXX", dir != NULL && dir[0] ? dir : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0)
        return false;
    bool ok = write(fd, pdf, len) == (ssize_t)len;
    close(fd);
    if (!ok)
        unlink(path);
    return ok;
}

/* The whole standard output of `cmd`. Caller frees; NULL when it exits non-zero. */
static char *run(const char *cmd)
{
    FILE *f = popen(cmd, "r");
    if (f == NULL)
        return NULL;
    size_t cap = 4096, n = 0;
    char *out = malloc(cap);
    size_t got;
    while (out != NULL && (got = fread(out + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n < 2) {
            char *bigger = realloc(out, cap * 2);
            if (bigger == NULL)
                free(out);
            out = bigger;
            cap *= 2;
        }
    }
    int st = pclose(f);
    if (out == NULL || st != 0) {
        free(out);
        return NULL;
    }
    out[n] = '\0';
    return out;
}

char *bpt_pdf_text(const void *pdf, size_t len)
{
    char path[512], cmd[700];
    if (!to_file(pdf, len, path, sizeof path))
        return NULL;
    snprintf(cmd, sizeof cmd, "pdftotext -layout -enc UTF-8 '%s' - 2>/dev/null", path);
    char *text = run(cmd);
    unlink(path);
    if (text == NULL)
        return NULL;
    size_t w = 0;
    bool space = true; /* drops leading white space */
    for (size_t r = 0; text[r]; r++) {
        char ch = text[r];
        bool ws = ch == ' ' || ch == '\n' || ch == '\t' || ch == '\r' || ch == '\f';
        if (ws && space)
            continue;
        text[w++] = ws ? ' ' : ch;
        space = ws;
    }
    while (w > 0 && text[w - 1] == ' ')
        w--;
    text[w] = '\0';
    return text;
}

int bpt_pdf_pages(const void *pdf, size_t len)
{
    char path[512], cmd[700];
    if (!to_file(pdf, len, path, sizeof path))
        return -1;
    snprintf(cmd, sizeof cmd, "pdfinfo '%s' 2>/dev/null", path);
    char *info = run(cmd);
    unlink(path);
    int pages = -1;
    const char *at = info ? strstr(info, "\nPages:") : NULL;
    if (at != NULL)
        pages = atoi(at + 7);
    free(info);
    return pages;
}

static int b64_value(unsigned char ch)
{
    if (ch >= 'A' && ch <= 'Z')
        return ch - 'A';
    if (ch >= 'a' && ch <= 'z')
        return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9')
        return ch - '0' + 52;
    if (ch == '+')
        return 62;
    if (ch == '/')
        return 63;
    return -1;
}

unsigned char *bpt_base64_decode(const char *s, size_t n, size_t *len)
{
    unsigned char *out = malloc(n / 4 * 3 + 3);
    if (out == NULL)
        return NULL;
    size_t w = 0;
    unsigned acc = 0;
    int bits = 0, pad = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '=') {
            pad++;
            continue;
        }
        int v = b64_value((unsigned char)s[i]);
        if (v < 0)
            continue;
        if (pad > 0) { /* data after padding */
            free(out);
            return NULL;
        }
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[w++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    *len = w;
    return out;
}
