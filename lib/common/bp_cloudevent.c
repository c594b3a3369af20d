/* bp_cloudevent: envelope construction and validation. */
#include "bp_cloudevent.h"

#include "bp_random.h"
#include "bp_time.h"

#include <stdlib.h>
#include <string.h>

json_t *bp_cloudevent_envelope(const char *source, const char *type, const char *subject,
                               char *id_out)
{
    char now[40];
    bp_time_format_now(now, sizeof now);
    bp_uuid_v4(id_out);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "specversion", "1.0", "id", id_out,
                     "source", source, "type", type, "time", now, "subject", subject,
                     "datacontenttype", "application/json");
}

json_t *bp_cloudevent_new(const char *source, const char *type, const char *subject, json_t *data,
                          char *id_out)
{
    json_t *event = bp_cloudevent_envelope(source, type, subject, id_out);
    if (event == NULL || data == NULL || json_object_set_new(event, "data", data) != 0) {
        if (event == NULL)
            json_decref(data);
        json_decref(event);
        return NULL;
    }
    return event;
}

char *bp_cloudevent_dumps_with(const json_t *envelope, const char *data_text, size_t flags)
{
    if (json_object_get(envelope, "data") != NULL || data_text == NULL)
        return NULL;
    char *head = json_dumps(envelope, flags);
    size_t hlen = head ? strlen(head) : 0;
    if (hlen < 2 || head[hlen - 1] != '}') {
        free(head);
        return NULL;
    }
    static const char member[] = ",\"data\":";
    size_t dlen = strlen(data_text);
    char *out = malloc(hlen - 1 + sizeof member - 1 + dlen + 2);
    if (out != NULL) {
        memcpy(out, head, hlen - 1);
        memcpy(out + hlen - 1, member, sizeof member - 1);
        memcpy(out + hlen - 1 + sizeof member - 1, data_text, dlen);
        memcpy(out + hlen - 1 + sizeof member - 1 + dlen, "}", 2);
    }
    free(head);
    return out;
}

const char *bp_cloudevent_check(const json_t *event)
{
    if (!json_is_object(event))
        return "event is not a JSON object";
    static const char *const required[] = {"specversion", "id", "source", "type", "time"};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
        const json_t *v = json_object_get(event, required[i]);
        if (!json_is_string(v) || json_string_length(v) == 0)
            return "event lacks a required string attribute";
    }
    if (strcmp(json_string_value(json_object_get(event, "specversion")), "1.0") != 0)
        return "event specversion is not 1.0";
    if (!json_is_object(json_object_get(event, "data")))
        return "event data is not a JSON object";
    return NULL;
}
