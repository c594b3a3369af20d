/* bp_cloudevent: CloudEvents 1.0 envelopes in structured JSON mode, the one
 * format of every message on our topics. Pure. */
#ifndef BP_CLOUDEVENT_H
#define BP_CLOUDEVENT_H

#include <jansson.h>

/* Kafka headers of every message: the structured mode's content type, and the
 * event type again so that a consumer can skip types without parsing. */
#define BP_CLOUDEVENT_CONTENT_TYPE "application/cloudevents+json; charset=UTF-8"
#define BP_CLOUDEVENT_TYPE_HEADER "ce_type"

/* Builds {"specversion":"1.0","id","source","type","time","subject",
 * "datacontenttype":"application/json","data"}. Takes ownership of `data`.
 * Writes the generated id into id_out (>= 37 bytes). Caller decrefs the result. */
json_t *bp_cloudevent_new(const char *source, const char *type, const char *subject, json_t *data,
                          char *id_out);

/* The same envelope without "data", for a payload whose data is already JSON
 * text (bp_outbox_item.data_text). Caller decrefs. */
json_t *bp_cloudevent_envelope(const char *source, const char *type, const char *subject,
                               char *id_out);

/* The text of `envelope` (no "data" member) with "data": data_text appended
 * as its last member, dumped with `flags`. malloc'd; NULL on failure. */
char *bp_cloudevent_dumps_with(const json_t *envelope, const char *data_text, size_t flags);

/* Checks the envelope's required attributes. Returns NULL when valid, otherwise a
 * static message naming the first problem. */
const char *bp_cloudevent_check(const json_t *event);

#endif
