/* bp_http_accept: content negotiation on the Accept request header (RFC 9110
 * section 12.5.1) for the few routes that can answer in more than one media type
 * (billing's GET /invoices/{invoiceRef}: JSON or PDF). Pure: no I/O. Every other
 * route answers JSON whatever Accept says, as it always did. */
#ifndef BP_HTTP_ACCEPT_H
#define BP_HTTP_ACCEPT_H

#include <stddef.h>

/* Picks which of `offered` (n media types "type/subtype", the server's order of
 * preference, offered[0] the default) to answer for the Accept header `accept`.
 * Each offered type gets the quality (q, default 1) of the most specific media
 * range that matches it (type/subtype, then type/ *, then * / *); the highest
 * quality above 0 wins, ties going to the earlier offered type. Media types
 * compare case-insensitively; parameters other than q are ignored.
 * Returns the index of the choice; 0 when `accept` is NULL, empty or unreadable
 * (no preference); -1 when it refuses every offered type (a 406 is possible). */
int bp_http_accept_pick(const char *accept, const char *const *offered, size_t n);

#endif
