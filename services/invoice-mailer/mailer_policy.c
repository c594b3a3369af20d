/* mailer_policy: outcome classification and backoff. Pure. */
#include "mailer_policy.h"

#include <string.h>

const char *ml_outcome_name(ml_outcome o)
{
    switch (o) {
    case ML_OUTCOME_ACCEPTED:
        return "ACCEPTED";
    case ML_OUTCOME_REFUSED:
        return "REFUSED";
    case ML_OUTCOME_FAILED:
        return "FAILED";
    case ML_OUTCOME_INTERRUPTED:
        return "INTERRUPTED";
    case ML_OUTCOME_UNCERTAIN:
        return "UNCERTAIN";
    }
    return "UNCERTAIN";
}

const char *ml_stage_name(ml_stage s) { return s == ML_STAGE_STARTED ? "STARTED" : "DATA_SENT"; }

ml_stage ml_stage_parse(const char *name)
{
    return name != NULL && strcmp(name, "STARTED") == 0 ? ML_STAGE_STARTED : ML_STAGE_DATA_SENT;
}

ml_outcome ml_smtp_outcome(bool transfer_ok, bool data_sent, long reply, bool aborted)
{
    if (transfer_ok)
        return ML_OUTCOME_ACCEPTED;
    if (!data_sent) /* the server never saw the end of the message: it delivers nothing */
        return aborted        ? ML_OUTCOME_INTERRUPTED
               : reply >= 400 ? ML_OUTCOME_REFUSED
                              : ML_OUTCOME_FAILED;
    /* After the end of the message the next reply is the verdict: 4xx/5xx means
     * the server refused it; no verdict (timeout, connection lost, the 354 of
     * DATA still the last reply) means we cannot know. */
    return reply >= 400 ? ML_OUTCOME_REFUSED : ML_OUTCOME_UNCERTAIN;
}

ml_outcome ml_orphan_outcome(ml_stage stage)
{
    return stage == ML_STAGE_STARTED ? ML_OUTCOME_INTERRUPTED : ML_OUTCOME_UNCERTAIN;
}

int64_t ml_backoff_ms(int attempts, int64_t min_ms, int64_t max_ms)
{
    int64_t delay = min_ms;
    for (int i = 1; i < attempts && delay < max_ms; i++)
        delay *= 2;
    return delay < max_ms ? delay : max_ms;
}

bool ml_give_up(int attempts, long max_attempts)
{
    return max_attempts > 0 && attempts >= max_attempts;
}
