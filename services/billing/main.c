/* boissipay-billing: wiring only. Reads the settings, sets the billing time
 * zone, applies migrations, starts the outbox relay, the contract-topic
 * consumer (read model) and the REST server, then waits for SIGTERM/SIGINT and
 * stops them in reverse order. */
#include "billing_config.h"
#include "billing_events.h"
#include "billing_http.h"
#include "billing_invoice_store.h"
#include "billing_migrations.h"
#include "billing_run.h"
#include "bp_auth.h"
#include "bp_daemon.h"
#include "bp_http.h"
#include "bp_log.h"
#include "bp_migrate.h"
#include "bp_outbox.h"
#include "bp_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SERVICE "boissipay-billing"

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--print-config") == 0) {
        bl_config_print(stdout);
        return 0;
    }
    if (argc > 1) {
        fprintf(stderr, "usage: %s [--print-config]\nSettings come from the environment.\n",
                SERVICE);
        return 2;
    }
    int64_t started = bp_time_mono_us();
    bp_daemon_block_signals();
    bl_settings s;
    char err[512];
    if (!bl_config_load(&s, err, sizeof err))
        bp_daemon_config_fail(SERVICE, err);
    setenv("TZ", s.timezone, 1); /* operation dates are taken in the billing time zone */
    tzset();
    bp_log_level level = BP_LOG_INFO;
    bp_log_level_parse(s.common.log_level, &level);
    bp_log_init("billing", level);
    bp_auth *auth = bp_auth_new(s.common.api_keys, err, sizeof err);
    if (auth == NULL) {
        char msg[600];
        snprintf(msg, sizeof msg, "BP_API_KEYS: %s", err);
        bp_daemon_config_fail(SERVICE, msg);
    }
    int m = bp_migrate_at_start(s.common.database_url, bl_migrations, bl_migrations_count);
    if (m != 0) {
        bp_auth_free(auth);
        return m < 0 ? 0 : 1;
    }
    bp_db *boot = bp_db_new(s.common.database_url);
    if (boot == NULL || bl_istore_interrupt_runs(boot) != BP_DB_OK)
        bp_log_warn("could not mark interrupted billing runs");
    bp_db_free(boot);
    bp_outbox_config oc = {.database_url = s.common.database_url,
                           .brokers = s.common.kafka_brokers,
                           .client_id = SERVICE,
                           .poll_ms = (int)s.common.outbox_poll_ms,
                           .batch_size = 500};
    bp_outbox_relay *relay = bp_outbox_relay_start(&oc, err, sizeof err);
    const char *topics[] = {s.topic_contract, s.topic_invoice, s.topic_payment, NULL};
    bl_events *events = relay ? bl_events_start(s.common.kafka_brokers, s.consumer_group, topics,
                                                s.common.database_url, err, sizeof err)
                              : NULL;
    bl_http_app app = {.service = {.operation_topic = s.topic_operation,
                                   .source = "/boissipay/billing",
                                   .relay = relay},
                       .runs = {.invoice_topic = s.topic_invoice,
                                .payment_topic = s.topic_payment,
                                .source = "/boissipay/billing",
                                .relay = relay},
                       .pool = bp_db_pool_new(s.common.database_url),
                       .relay = relay,
                       .consumer = bl_events_consumer(events)};
    bl_scheduler *scheduler =
        s.schedule && events ? bl_scheduler_start(&app.runs, s.common.database_url,
                                                  (int)s.run_day, s.run_minute)
                             : NULL;
    size_t nroutes;
    const bp_http_route *routes = bl_http_routes(&nroutes);
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
                         .ready = bl_http_ready,
                         .app = &app};
    bp_http_server *http = events && app.pool ? bp_http_start(&hc, err, sizeof err) : NULL;
    int status = 0;
    if (http == NULL) {
        bp_log_error("cannot start: %s", err);
        status = 1;
    } else {
        bp_log_fields(BP_LOG_INFO,
                      json_pack("{s:i, s:s, s:f}", "port", (int)s.common.http_port, "timezone",
                                s.timezone, "startup_ms",
                                (double)(bp_time_mono_us() - started) / 1000.0),
                      "billing service listening");
        int sig = bp_daemon_wait_signal();
        bp_log_info("signal %d: shutting down", sig);
        bp_http_quiesce(http);
    }
    bp_http_stop(http);
    bl_scheduler_stop(scheduler);
    bl_events_stop(events);
    bp_outbox_relay_stop(relay, (int)s.common.shutdown_grace_seconds * 1000);
    bp_db_pool_free(app.pool);
    bp_auth_free(auth);
    bp_log_info("stopped");
    return status;
}
