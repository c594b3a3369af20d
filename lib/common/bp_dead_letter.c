/* bp_dead_letter: see bp_dead_letter.h. */
#include "bp_dead_letter.h"

#include "bp_consumer.h"
#include "bp_log.h"

#include <stdlib.h>
#include <string.h>

/* `len` bytes as a JSON string, or JSON null when there are none. When they
 * are not valid UTF-8, NUL bytes and bytes >= 0x80 become '?'. */
static json_t *text_value(const void *bytes, size_t len)
{
    if (bytes == NULL)
        return json_null();
    json_t *s = json_stringn(bytes, len);
    if (s != NULL)
        return s;
    char *copy = malloc(len + 1);
    if (copy == NULL)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = ((const unsigned char *)bytes)[i];
        copy[i] = ch == 0 || ch >= 0x80 ? '?' : (char)ch;
    }
    s = json_stringn(copy, len);
    free(copy);
    return s;
}

/* How many of the `len` bytes to keep: all up to `limit`, else the limit
 * moved back to the start of a UTF-8 character (at most 3 bytes back). */
static size_t kept_length(const unsigned char *bytes, size_t len, size_t limit)
{
    if (len <= limit)
        return len;
    size_t cut = limit;
    for (int back = 0; back < 3 && cut > 0 && (bytes[cut] & 0xC0) == 0x80; back++)
        cut--;
    return cut;
}

/* Up to `limit` bytes of `bytes` as a JSON string (null when bytes is NULL). */
static json_t *cut_text(const void *bytes, size_t len, size_t limit)
{
    return text_value(bytes, bytes ? kept_length(bytes, len, limit) : 0);
}

void bp_dead_letter_key(const rd_kafka_message_t *msg, char *out, size_t size)
{
    size_t limit = size - 1 < BP_DEAD_LETTER_MAX_TEXT ? size - 1 : BP_DEAD_LETTER_MAX_TEXT;
    json_t *key = msg->key ? cut_text(msg->key, msg->key_len, limit) : NULL;
    const char *text = json_string_value(key);
    size_t n = text ? json_string_length(key) : 0;
    for (size_t i = 0; i < n; i++)
        out[i] = text[i] == '\0' ? '?' : text[i]; /* a SQL text holds no NUL */
    out[n] = '\0';
    json_decref(key);
}

json_t *bp_dead_letter_doc(const char *consumer, const rd_kafka_message_t *msg,
                           const char *reason)
{
    size_t len = msg->payload ? msg->len : 0;
    size_t kept = msg->payload ? kept_length(msg->payload, msg->len, BP_DEAD_LETTER_MAX_VALUE) : 0;
    json_t *key = cut_text(msg->key, msg->key_len, BP_DEAD_LETTER_MAX_TEXT);
    json_t *why = cut_text(reason, strlen(reason), BP_DEAD_LETTER_MAX_TEXT);
    json_t *value = text_value(msg->payload, kept);
    if (key == NULL || why == NULL || value == NULL) {
        json_decref(key);
        json_decref(why);
        json_decref(value);
        return NULL;
    }
    return json_pack("{s:s, s:s, s:i, s:I, s:o, s:o, s:o, s:I, s:b}", "consumer", consumer,
                     "topic", msg->rkt ? rd_kafka_topic_name(msg->rkt) : "", "partition",
                     (int)msg->partition, "offset", (json_int_t)msg->offset, "key", key,
                     "reason", why, "value", value, "valueBytes", (json_int_t)len,
                     "valueTruncated", kept < len);
}

bp_dead_letter_result bp_dead_letter_park(bp_db *db, const bp_dead_letter_dest *to,
                                          const char *claim_id, const rd_kafka_message_t *msg,
                                          const char *reason)
{
    char key[BP_DEAD_LETTER_MAX_TEXT + 1];
    bp_dead_letter_key(msg, key, sizeof key);
    json_t *letter = bp_dead_letter_doc(to->group, msg, reason);
    char *payload = letter ? json_dumps(letter, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(letter);
    bool built = payload != NULL;
    bp_db_result r = built ? bp_db_begin(db) : BP_DB_ERROR;
    bp_inbox_result ir = BP_INBOX_DB_ERROR;
    if (r == BP_DB_OK) {
        ir = bp_inbox_claim(db, to->inbox_consumer, claim_id);
        if (ir == BP_INBOX_DB_ERROR)
            r = BP_DB_UNAVAILABLE;
        else if (ir == BP_INBOX_NEW)
            r = bp_outbox_add_raw(db, to->topic, key, payload);
    }
    if (r == BP_DB_OK)
        r = bp_db_commit(db);
    free(payload);
    if (r != BP_DB_OK) {
        bp_log_warn("dead letter %s not recorded yet (%s): %s", claim_id, bp_db_result_text(r),
                    built ? bp_db_error(db) : "out of memory");
        bp_db_rollback(db);
        return BP_DEAD_LETTER_FAILED;
    }
    if (ir != BP_INBOX_NEW)
        return BP_DEAD_LETTER_DUPLICATE;
    bp_outbox_relay_wake(to->relay);
    return BP_DEAD_LETTER_PARKED;
}
