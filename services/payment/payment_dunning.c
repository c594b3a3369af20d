/* payment_dunning: retryable codes and the retry schedule. Pure, unit-tested
 * (tests/unit/test_payment_dunning.c). */
#include "payment_dunning.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool pm_dunning_parse(const char *spec, pm_dunning *out, char *err, size_t errsize)
{
    memset(out, 0, sizeof *out);
    const char *p = spec ? spec : "";
    while (isspace((unsigned char)*p))
        p++;
    if (*p == '\0' || strcmp(p, "none") == 0)
        return true;
    for (;;) {
        while (isspace((unsigned char)*p))
            p++;
        char *end = NULL;
        long v = isdigit((unsigned char)*p) ? strtol(p, &end, 10) : -1;
        if (end != NULL)
            while (isspace((unsigned char)*end))
                end++;
        if (v < 1 || v > PM_DUNNING_MAX_DAYS || (*end != ',' && *end != '\0') ||
            out->n == PM_DUNNING_MAX_RETRIES) {
            snprintf(err, errsize,
                     "BP_PAYMENT_RETRY_DAYS: expected up to %d comma-separated numbers of days "
                     "from 1 to %d (\"3,5,7\"), or none",
                     PM_DUNNING_MAX_RETRIES, PM_DUNNING_MAX_DAYS);
            memset(out, 0, sizeof *out);
            return false;
        }
        out->days[out->n++] = (int)v;
        if (*end == '\0')
            return true;
        p = end + 1;
    }
}

bool pm_dunning_retryable(const char *code)
{
    /* Insufficient funds is the one refusal time can cure; a missing or revoked
     * mandate (MD01), a closed or blocked account (AC04, AC06), a deceased
     * debtor (MD07), a refusal by the debtor (MS02) are final. */
    return code != NULL && strcmp(code, "AM04") == 0;
}

bool pm_dunning_next(const pm_dunning *d, const char *code, int retries_done, int *days)
{
    if (!pm_dunning_retryable(code) || retries_done < 0 || retries_done >= d->n)
        return false;
    *days = d->days[retries_done];
    return true;
}
