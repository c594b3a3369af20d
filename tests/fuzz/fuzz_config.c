/* fuzz_config: the environment a daemon starts with, through the four daemons' own
 * config tables (bl_config_load, ct_config_load, pm_config_load, ml_config_load over
 * bp_config_load). The input is lines "NAME=value"; only the variables the tables
 * name (read once from their --print-config output) are set, every other one is left
 * alone, and all of them are unset again before the next input. Invariant: a load
 * that succeeds gives values within the table's bounds; one that fails says why. */
#include "billing_config.h"
#include "contract_config.h"
#include "fuzz_support.h"
#include "mailer_config.h"
#include "payment_config.h"

#define MAX_NAMES 128

static char *names[MAX_NAMES];
static size_t nnames;

/* Adds the NAME of each "NAME=default  # help" line that `print` writes. */
static void harvest(void (*print)(FILE *))
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    FZ_CHECK(f != NULL, "a memory stream opens");
    print(f);
    fclose(f);
    for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        size_t n = strcspn(line, "=");
        bool known = false;
        for (size_t i = 0; i < nnames && !known; i++)
            known = strlen(names[i]) == n && strncmp(names[i], line, n) == 0;
        if (!known && nnames < MAX_NAMES)
            names[nnames++] = strndup(line, n);
    }
    free(text);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    harvest(bl_config_print);
    harvest(ct_config_print);
    harvest(pm_config_print);
    harvest(ml_config_print);
    FZ_CHECK(nnames > 10, "the tables name their variables");
    return 0;
}

static void set_line(char *line)
{
    char *eq = strchr(line, '=');
    if (eq == NULL)
        return;
    *eq = '\0';
    for (size_t i = 0; i < nnames; i++)
        if (strcmp(names[i], line) == 0)
            setenv(line, eq + 1, 1);
}

static void check_common(const bp_common_settings *c)
{
    FZ_CHECK(c->http_port >= 1 && c->http_port <= 65535, "the port is within bounds");
    FZ_CHECK(c->api_keys != NULL && c->api_keys[0] != '\0', "API keys are set");
    FZ_CHECK(c->log_level != NULL, "a log level is chosen");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (size_t i = 0; i < nnames; i++)
        unsetenv(names[i]);
    char *text = fz_cstring(data, size);
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
        set_line(line);
    free(text);
    char err[512] = "";
    bl_settings bl;
    if (bl_config_load(&bl, err, sizeof err)) {
        check_common(&bl.common);
        FZ_CHECK(bl.run_minute >= 0 && bl.run_minute < 1440, "the run time is a minute");
    } else {
        FZ_CHECK(err[0] != '\0', "a refused setting is named");
    }
    ct_settings ct;
    if (ct_config_load(&ct, err, sizeof err))
        check_common(&ct.common);
    pm_settings pm;
    if (pm_config_load(&pm, err, sizeof err))
        check_common(&pm.common);
    ml_settings ml;
    if (ml_config_load(&ml, err, sizeof err))
        check_common(&ml.common);
    return 0;
}
