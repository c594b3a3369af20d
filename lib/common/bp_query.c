/* bp_query: length checks of query-string parameters (see bp_query.h). Runs on
 * the request's HTTP worker thread. */
#include "bp_query.h"

#include <stdio.h>

size_t bp_query_char_count(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
        n += (*p & 0xC0) != 0x80; /* continuation bytes do not start a character */
    return n;
}

bool bp_query_text(bp_http_request *req, bp_http_response *resp, const char *name,
                   size_t min_len, size_t max_len, const char **out)
{
    *out = bp_http_query(req, name);
    if (*out == NULL)
        return true;
    size_t n = bp_query_char_count(*out);
    if (n >= min_len && n <= max_len)
        return true;
    char msg[160];
    snprintf(msg, sizeof msg, "query parameter %s must be %zu to %zu characters long", name,
             min_len, max_len);
    bp_http_reply_error(resp, 400, "VALIDATION_ERROR", msg, name);
    return false;
}
