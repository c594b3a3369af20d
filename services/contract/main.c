/* boissipay-contract: wiring only. Reads the settings, applies migrations,
 * starts the outbox relay, the expiry sweeper and the REST server, then waits
 * for SIGTERM/SIGINT and stops them in reverse order. */
#include "bp_auth.h"
#include "bp_daemon.h"
#include "bp_db.h"
#include "bp_http.h"
#include "bp_log.h"
#include "bp_migrate.h"
#include "bp_outbox.h"
#include "bp_time.h"
#include "contract_config.h"
#include "contract_expiry.h"
#include "contract_http.h"
#include "contract_migrations.h"

#include <stdio.h>
#include <string.h>

#define SERVICE "boissipay-contract"

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--print-config") == 0) {
        ct_config_print(stdout);
        return 0;
    }
    if (argc > 1) {
        fprintf(stderr, "usage: %s [--print-config]\nSettings come from the environment.\n",
                SERVICE);
        return 2;
    }
    int64_t started = bp_time_mono_us();
    bp_daemon_block_signals();
    ct_settings s;
    char err[512];
    if (!ct_config_load(&s, err, sizeof err))
        bp_daemon_config_fail(SERVICE, err);
    bp_log_level level = BP_LOG_INFO;
    bp_log_level_parse(s.common.log_level, &level);
    bp_log_init("contract", level);
    bp_auth *auth = bp_auth_new(s.common.api_keys, err, sizeof err);
    if (auth == NULL) {
        char msg[600];
        snprintf(msg, sizeof msg, "BP_API_KEYS: %s", err);
        bp_daemon_config_fail(SERVICE, msg);
    }

    int m = bp_migrate_at_start(s.common.database_url, ct_migrations, ct_migrations_count);
    if (m != 0) {
        bp_auth_free(auth);
        return m < 0 ? 0 : 1;
    }
    bp_outbox_config oc = {.database_url = s.common.database_url,
                           .brokers = s.common.kafka_brokers,
                           .client_id = SERVICE,
                           .poll_ms = (int)s.common.outbox_poll_ms,
                           .batch_size = 500};
    bp_outbox_relay *relay = bp_outbox_relay_start(&oc, err, sizeof err);
    if (relay == NULL) {
        bp_log_error("outbox relay: %s", err);
        bp_auth_free(auth);
        return 1;
    }
    ct_http_app app = {.service = {.topic = s.topic_contract,
                                   .source = "/boissipay/contract",
                                   .relay = relay},
                       .pool = bp_db_pool_new(s.common.database_url),
                       .relay = relay};
    ct_expiry *expiry = ct_expiry_start(&app.service, s.common.database_url,
                                        s.expiry_sweep_seconds);
    size_t nroutes;
    const bp_http_route *routes = ct_http_routes(&nroutes);
    bp_http_config hc = {.bind_address = s.common.http_bind,
                         .port = (int)s.common.http_port,
                         .threads = (int)s.common.http_threads,
                         .max_connections = (int)s.common.http_max_connections,
                         .timeout_seconds = (int)s.common.http_timeout_seconds,
                         .max_body_bytes = (size_t)s.common.http_max_body_bytes,
                         .access_log = s.common.http_access_log,
                         .auth = auth,
                         .routes = routes,
                         .nroutes = nroutes,
                         .ready = ct_http_ready,
                         .app = &app};
    bp_http_server *http = app.pool && expiry ? bp_http_start(&hc, err, sizeof err) : NULL;
    int status = 0;
    if (http == NULL) {
        bp_log_error("cannot start: %s", app.pool && expiry ? err : "out of memory");
        status = 1;
    } else {
        bp_log_fields(BP_LOG_INFO,
                      json_pack("{s:i, s:f}", "port", (int)s.common.http_port, "startup_ms",
                                (double)(bp_time_mono_us() - started) / 1000.0),
                      "contract service listening");
        int sig = bp_daemon_wait_signal();
        bp_log_info("signal %d: shutting down", sig);
        bp_http_quiesce(http);
    }
    bp_http_stop(http);
    ct_expiry_stop(expiry);
    bp_outbox_relay_stop(relay, (int)s.common.shutdown_grace_seconds * 1000);
    bp_db_pool_free(app.pool);
    bp_auth_free(auth);
    bp_log_info("stopped");
    return status;
}
