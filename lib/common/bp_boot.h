/* bp_boot: the start and the stop that every daemon's main() shares — the
 * command line, signals, logging, API keys, migrations, the outbox relay, the
 * HTTP server built from the common settings, the wait for SIGTERM/SIGINT, and
 * the orderly stop. A main() adds only what its service owns in between. */
#ifndef BP_BOOT_H
#define BP_BOOT_H

#include "bp_auth.h"
#include "bp_http.h"
#include "bp_migrate.h"
#include "bp_outbox.h"
#include "bp_settings.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

typedef struct {
    const char *service; /* log name, "payment" */
    const char *binary;  /* "boissipay-payment" */
    const bp_migration *migrations;
    size_t nmigrations;
    /* Its OpenAPI spec, served at /openapi.yaml and /docs (bp_docs.h): bp_openapi_spec
     * and bp_openapi_spec_len. */
    const unsigned char *openapi;
    size_t openapi_len;
} bp_boot_spec;

typedef struct {
    const bp_boot_spec *spec;
    int64_t started_us;
    bp_auth *auth;
    bp_outbox_relay *relay;
    char err[512]; /* why the last step failed */
} bp_boot;

/* Handles the command line: `--print-config` prints with `print` and returns 0,
 * anything else prints usage and returns 2; no argument blocks the stop signals
 * (before any thread starts) and returns -1: go on. */
int bp_boot_args(bp_boot *b, const bp_boot_spec *spec, int argc, char **argv,
                 void (*print)(FILE *));

/* Once the settings are loaded: logging, API keys (a bad BP_API_KEYS exits 2),
 * migrations (waiting for the database), the outbox relay. Returns -1 to go on,
 * or the exit status (0 when a stop signal came while waiting, 1 on failure,
 * logged), everything it made freed. */
int bp_boot_start(bp_boot *b, const bp_common_settings *s);

/* The HTTP configuration from the common settings, with the spec's API docs. */
bp_http_config bp_boot_http(const bp_boot *b, const bp_common_settings *s,
                            const bp_http_route *routes, size_t nroutes, bp_http_ready_fn ready,
                            void *app);

/* Starts the server (unless `ok` is false: a service part failed, see b->err),
 * logs "<service> service listening" with `fields` (taken; port and startup
 * time added), waits for SIGTERM/SIGINT and stops accepting connections.
 * *http receives the server for bp_http_stop. Returns the exit status. */
int bp_boot_serve(bp_boot *b, const bp_http_config *hc, bool ok, json_t *fields,
                  bp_http_server **http);

/* Stops the relay (flushing within the grace period), frees the keys, logs "stopped". */
void bp_boot_stop(bp_boot *b, const bp_common_settings *s);

#endif
