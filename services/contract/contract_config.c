/* contract_config: the one table of variables the contract daemon reads. */
#include "contract_config.h"

#include <stdio.h>

/* One row per variable: not reflowed. */
/* clang-format off */
static const bp_config_entry table[] = {
    BP_COMMON_CONFIG_ROWS(ct_settings, common, "8080",
                          "postgresql://contract@127.0.0.1:5432/contract"),
    {"BP_TOPIC_CONTRACT", BP_CONFIG_STRING, offsetof(ct_settings, topic_contract), "contract", 1,
     249, "topic of contract events", false, NULL, NULL},
    {"BP_EXPIRY_SWEEP_SECONDS", BP_CONFIG_INT, offsetof(ct_settings, expiry_sweep_seconds), "60",
     1, 86400, "how often contracts past their expireAt are marked EXPIRED", false, NULL, NULL},
};
/* clang-format on */

bool ct_config_load(ct_settings *s, char *err, size_t errsize)
{
    return bp_config_load(table, sizeof table / sizeof table[0], s, err, errsize);
}

void ct_config_print(FILE *out) { bp_config_print(table, sizeof table / sizeof table[0], out); }
