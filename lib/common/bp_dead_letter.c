/* bp_dead_letter: see bp_dead_letter.h. */
#include "bp_dead_letter.h"

#include "bp_inbox.h"
#include "bp_log.h"

#include <stdio.h>
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

json_t *bp_dead_letter_doc(const char *consumer, const rd_kafka_message_t *msg, const char *reason)
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
    return json_pack("{s:s, s:s, s:i, s:I, s:o, s:o, s:o, s:I, s:b}", "consumer", consumer, "topic",
                     msg->rkt ? rd_kafka_topic_name(msg->rkt) : "", "partition",
                     (int)msg->partition, "offset", (json_int_t)msg->offset, "key", key, "reason",
                     why, "value", value, "valueBytes", (json_int_t)len, "valueTruncated",
                     kept < len);
}

void bp_dead_letter_claim_id(const rd_kafka_message_t *msg, char *out, size_t size)
{
    snprintf(out, size, "dead-letter:%s:%d:%lld", rd_kafka_topic_name(msg->rkt),
             (int)msg->partition, (long long)msg->offset);
}

typedef struct {
    const bp_dead_letter_dest *to;
    const rd_kafka_message_t *msg;
    const char *key, *payload;
} park_ctx;

/* True when the message was parked under the mailer's earlier claim id. */
static bp_db_result legacy_claimed(bp_db *db, const park_ctx *c, bool *claimed)
{
    char id[400];
    snprintf(id, sizeof id, "kafka:%s/%d/%lld", rd_kafka_topic_name(c->msg->rkt),
             (int)c->msg->partition, (long long)c->msg->offset);
    return bp_inbox_seen(db, c->to->inbox_consumer, id, claimed);
}

static bp_db_result park(bp_db *db, void *arg, bool *parked)
{
    const park_ctx *c = arg;
    bool before = false;
    bp_db_result r = c->to->legacy_kafka_claims ? legacy_claimed(db, c, &before) : BP_DB_OK;
    if (r != BP_DB_OK || before)
        return r;
    r = bp_outbox_add_raw(db, c->to->topic, c->key, c->payload);
    *parked = r == BP_DB_OK;
    return r;
}

bp_dead_letter_result bp_dead_letter_park(bp_db *db, const bp_dead_letter_dest *to,
                                          const rd_kafka_message_t *msg, const char *reason)
{
    char key[BP_DEAD_LETTER_MAX_TEXT + 1], claim_id[600];
    bp_dead_letter_key(msg, key, sizeof key);
    bp_dead_letter_claim_id(msg, claim_id, sizeof claim_id);
    json_t *letter = bp_dead_letter_doc(to->group, msg, reason);
    char *payload = letter ? json_dumps(letter, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(letter);
    if (payload == NULL) {
        bp_log_warn("dead letter %s not recorded yet: out of memory", claim_id);
        return BP_DEAD_LETTER_FAILED;
    }
    park_ctx c = {.to = to, .msg = msg, .key = key, .payload = payload};
    bool parked = false;
    bp_db_result r = BP_DB_OK;
    bp_inbox_outcome out = bp_inbox_apply(db, to->inbox_consumer, claim_id, park, &c, &parked, &r);
    free(payload);
    if (out != BP_INBOX_DONE) {
        bp_log_warn("dead letter %s not recorded yet (%s): %s", claim_id, bp_db_result_text(r),
                    bp_db_error(db));
        return BP_DEAD_LETTER_FAILED;
    }
    if (!parked)
        return BP_DEAD_LETTER_DUPLICATE;
    bp_outbox_relay_wake(to->relay);
    return BP_DEAD_LETTER_PARKED;
}
