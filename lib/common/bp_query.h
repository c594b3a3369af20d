/* bp_query: checks of query-string parameters that handlers share (text length, enums),
 * answering 400 VALIDATION_ERROR with the parameter's name in `detail`. Runs on the
 * HTTP worker thread of the request; no I/O besides the reply. */
#ifndef BP_QUERY_H
#define BP_QUERY_H

#include "bp_http.h"

#include <stdbool.h>
#include <stddef.h>

/* Number of characters (Unicode code points, as JSON Schema's minLength and
 * maxLength count them) of the UTF-8 text `s`. Pure. */
size_t bp_query_char_count(const char *s);

/* Reads the optional text parameter `name` into *out (NULL when absent; borrowed
 * from the request). Returns true when it is absent or has min_len to max_len
 * characters; otherwise replies 400 ("query parameter NAME must be MIN to MAX
 * characters long") and returns false. */
bool bp_query_text(bp_http_request *req, bp_http_response *resp, const char *name, size_t min_len,
                   size_t max_len, const char **out) __attribute__((warn_unused_result));

/* Reads the optional parameter `name`, which must be one of `allowed` (NULL-terminated),
 * into *out (NULL when absent). Returns true when it is absent or allowed; otherwise
 * replies 400 ("query parameter NAME must be one of: A, B") and returns false. */
bool bp_query_enum(bp_http_request *req, bp_http_response *resp, const char *name,
                   const char *const *allowed, const char **out)
    __attribute__((warn_unused_result));

#endif
