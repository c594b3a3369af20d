/* bp_json_lax: one pass over the text, tracking strings (and their escapes), which
 * strings are object keys (the next string after '{' or ',' inside an object), and
 * number tokens (see the header). */
#include "bp_json_lax.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_DEPTH 2048 /* deeper text is left to the parser to refuse */

/* True for an integer literal ("-"? digits, no fraction or exponent) beyond int64. */
static bool integer_too_big(const char *tok, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (tok[i] == '.' || tok[i] == 'e' || tok[i] == 'E')
            return false;
    bool neg = n > 0 && tok[0] == '-';
    const char *digits = tok + neg;
    size_t nd = n - neg;
    const char *limit = neg ? "9223372036854775808" : "9223372036854775807";
    if (nd != 19)
        return nd > 19;
    return memcmp(digits, limit, 19) > 0;
}

bool bp_json_lax_rewrite(const char *text, size_t len, char **out, size_t *outlen)
{
    *out = NULL;
    char *buf = malloc(len + len / 8 + 16);
    char stack[MAX_DEPTH];
    size_t depth = 0, o = 0;
    bool expect_key = false, changed = false;
    if (buf == NULL)
        return false;
    for (size_t i = 0; i < len;) {
        char c = text[i];
        if (c == '"') { /* a string: copied, with \u0000 turned in keys */
            bool key = expect_key;
            expect_key = false;
            buf[o++] = text[i++];
            while (i < len && text[i] != '"') {
                if (text[i] == '\\' && i + 1 < len) {
                    if (key && text[i + 1] == 'u' && i + 5 < len &&
                        strncasecmp(text + i + 2, "0000", 4) == 0) {
                        memcpy(buf + o, "\\ufffd", 6);
                        o += 6;
                        i += 6;
                        changed = true;
                        continue;
                    }
                    buf[o++] = text[i++];
                }
                buf[o++] = text[i++];
            }
            if (i < len)
                buf[o++] = text[i++];
            continue;
        }
        if (c == '-' || (c >= '0' && c <= '9')) {
            size_t n = 0;
            while (i + n < len && strchr("-+.eE0123456789", text[i + n]) != NULL &&
                   text[i + n] != '\0')
                n++;
            memcpy(buf + o, text + i, n);
            o += n;
            if (integer_too_big(text + i, n)) {
                memcpy(buf + o, ".0", 2);
                o += 2;
                changed = true;
            }
            i += n;
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            buf[o++] = text[i++];
            continue;
        }
        if ((c == '{' || c == '[') && depth < MAX_DEPTH)
            stack[depth++] = c;
        else if ((c == '}' || c == ']') && depth > 0)
            depth--;
        expect_key = (c == '{' || c == ',') && depth > 0 && stack[depth - 1] == '{';
        buf[o++] = text[i++];
    }
    if (!changed) {
        free(buf);
        return false;
    }
    buf[o] = '\0';
    *out = buf;
    *outlen = o;
    return true;
}
