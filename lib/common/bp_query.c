/* bp_query: length and enum checks of query-string parameters (see bp_query.h). Runs
 * on the request's HTTP worker thread. */
#include "bp_query.h"

#include <stdio.h>
#include <string.h>

size_t bp_query_char_count(const char *s) { return bp_utf8_chars(s, strlen(s)); }

bool bp_query_text(bp_http_request *req, bp_http_response *resp, const char *name, size_t min_len,
                   size_t max_len, const char **out)
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

bool bp_query_enum(bp_http_request *req, bp_http_response *resp, const char *name,
                   const char *const *allowed, const char **out)
{
    *out = bp_http_query(req, name);
    if (*out == NULL)
        return true;
    char msg[400];
    int used = snprintf(msg, sizeof msg, "query parameter %s must be one of: ", name);
    for (size_t i = 0; allowed[i] != NULL; i++) {
        if (strcmp(*out, allowed[i]) == 0)
            return true;
        if (used > 0 && (size_t)used < sizeof msg)
            used +=
                snprintf(msg + used, sizeof msg - (size_t)used, "%s%s", i ? ", " : "", allowed[i]);
    }
    bp_http_reply_error(resp, 400, "VALIDATION_ERROR", msg, name);
    return false;
}
