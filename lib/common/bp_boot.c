/* bp_boot: daemon start-up and shutdown shared by every main(); main thread. */
#include "bp_boot.h"

#include "bp_daemon.h"
#include "bp_log.h"
#include "bp_time.h"

#include <string.h>

int bp_boot_args(bp_boot *b, const bp_boot_spec *spec, int argc, char **argv, void (*print)(FILE *))
{
    memset(b, 0, sizeof *b);
    b->spec = spec;
    b->started_us = bp_time_mono_us();
    if (argc > 1 && strcmp(argv[1], "--print-config") == 0) {
        print(stdout);
        return 0;
    }
    if (argc > 1) {
        fprintf(stderr, "usage: %s [--print-config]\nSettings come from the environment.\n",
                spec->binary);
        return 2;
    }
    bp_daemon_block_signals();
    return -1;
}

int bp_boot_start(bp_boot *b, const bp_common_settings *s)
{
    bp_log_level level = BP_LOG_INFO;
    bp_log_level_parse(s->log_level, &level);
    bp_log_init(b->spec->service, level);
    b->auth = bp_auth_new(s->api_keys, b->err, sizeof b->err);
    if (b->auth == NULL) {
        char msg[600];
        snprintf(msg, sizeof msg, "BP_API_KEYS: %s", b->err);
        bp_daemon_config_fail(b->spec->binary, msg);
    }
    int m = bp_migrate_at_start(s->database_url, b->spec->migrations, b->spec->nmigrations);
    if (m != 0) {
        bp_auth_free(b->auth);
        return m < 0 ? 0 : 1;
    }
    bp_outbox_config oc = {.database_url = s->database_url,
                           .brokers = s->kafka_brokers,
                           .client_id = b->spec->binary,
                           .poll_ms = (int)s->outbox_poll_ms,
                           .batch_size = 500};
    b->relay = bp_outbox_relay_start(&oc, b->err, sizeof b->err);
    if (b->relay == NULL) {
        bp_log_error("outbox relay: %s", b->err);
        bp_auth_free(b->auth);
        return 1;
    }
    return -1;
}

bp_http_config bp_boot_http(const bp_boot *b, const bp_common_settings *s,
                            const bp_http_route *routes, size_t nroutes, bp_http_ready_fn ready,
                            void *app)
{
    return (bp_http_config){.bind_address = s->http_bind,
                            .port = (int)s->http_port,
                            .threads = (int)s->http_threads,
                            .max_connections = (int)s->http_max_connections,
                            .max_connections_per_client = (int)s->http_max_connections_per_client,
                            .timeout_seconds = (int)s->http_timeout_seconds,
                            .header_timeout_seconds = (int)s->http_header_timeout_seconds,
                            .body_timeout_seconds = (int)s->http_body_timeout_seconds,
                            .max_body_bytes = (size_t)s->http_max_body_bytes,
                            .access_log = s->http_access_log,
                            .auth = b->auth,
                            .routes = routes,
                            .nroutes = nroutes,
                            .ready = ready,
                            .app = app,
                            .openapi = b->spec->openapi,
                            .openapi_len = b->spec->openapi_len};
}

int bp_boot_serve(bp_boot *b, const bp_http_config *hc, bool ok, json_t *fields,
                  bp_http_server **http)
{
    *http = ok ? bp_http_start(hc, b->err, sizeof b->err) : NULL;
    if (*http == NULL) {
        bp_log_error("cannot start: %s", b->err[0] ? b->err : "out of memory");
        json_decref(fields);
        return 1;
    }
    if (fields == NULL)
        fields = json_object();
    json_object_set_new(fields, "port", json_integer(hc->port));
    json_object_set_new(fields, "startup_ms",
                        json_real((double)(bp_time_mono_us() - b->started_us) / 1000.0));
    bp_log_fields(BP_LOG_INFO, fields, "%s service listening", b->spec->service);
    int sig = bp_daemon_wait_signal();
    bp_log_info("signal %d: shutting down", sig);
    bp_http_quiesce(*http);
    return 0;
}

void bp_boot_stop(bp_boot *b, const bp_common_settings *s)
{
    bp_outbox_relay_stop(b->relay, (int)s->shutdown_grace_seconds * 1000);
    bp_auth_free(b->auth);
    bp_log_info("stopped");
}
