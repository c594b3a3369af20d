/* bp_json_lax: JSON text that is valid but that jansson cannot hold, made into
 * text it can, for members a service does not read: a \u0000 escape inside an
 * object key (jansson keys are C strings) becomes \uFFFD, and an integer beyond
 * int64 becomes a real (".0" appended: jansson refuses such integers). Member
 * values, strings and every other byte are kept as they are.
 *
 * bp_http uses it only after jansson refused a body for one of these two reasons,
 * so a request of valid JSON is never refused for them. Pure; no I/O. */
#ifndef BP_JSON_LAX_H
#define BP_JSON_LAX_H

#include <stdbool.h>
#include <stddef.h>

/* Rewrites text[0..len) into a new buffer (*out, NUL-terminated, caller frees; *outlen
 * its length). Returns false, leaving *out NULL, when nothing needed a change or when
 * out of memory. Text that is not JSON is copied in whatever shape it has: the parser
 * after it still refuses it. */
bool bp_json_lax_rewrite(const char *text, size_t len, char **out, size_t *outlen);

#endif
