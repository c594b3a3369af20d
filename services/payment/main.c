/* boissipay-payment: wiring only. Reads the settings, applies migrations,
 * starts the outbox relay, the simulated bank, the `payment` topic consumer
 * and the REST server, then waits for SIGTERM/SIGINT and stops them in reverse
 * order (the consumer finishes the payment in hand first). */
#include "bp_auth.h"
#include "bp_daemon.h"
#include "bp_http.h"
#include "bp_log.h"
#include "bp_migrate.h"
#include "bp_outbox.h"
#include "bp_time.h"
#include "payment_bank_sim.h"
#include "payment_config.h"
#include "payment_events.h"
#include "payment_http.h"
#include "payment_migrations.h"

#include <stdio.h>
#include <string.h>

#define SERVICE "boissipay-payment"

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--print-config") == 0) {
        pm_config_print(stdout);
        return 0;
    }
    if (argc > 1) {
        fprintf(stderr, "usage: %s [--print-config]\nSettings come from the environment.\n",
                SERVICE);
        return 2;
    }
    int64_t started = bp_time_mono_us();
    bp_daemon_block_signals();
    pm_settings s;
    char err[512];
    if (!pm_config_load(&s, err, sizeof err))
        bp_daemon_config_fail(SERVICE, err);
    bp_log_level level = BP_LOG_INFO;
    bp_log_level_parse(s.common.log_level, &level);
    bp_log_init("payment", level);
    bp_auth *auth = bp_auth_new(s.common.api_keys, err, sizeof err);
    if (auth == NULL) {
        char msg[600];
        snprintf(msg, sizeof msg, "BP_API_KEYS: %s", err);
        bp_daemon_config_fail(SERVICE, msg);
    }
    int m = bp_migrate_at_start(s.common.database_url, pm_migrations, pm_migrations_count);
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
    pm_bank_rules *rules = pm_config_bank_rules(&s, err, sizeof err);
    pm_bank *bank = relay && rules ? pm_bank_sim_new(s.common.database_url, rules,
                                                     (int)s.bank_delay_ms)
                                   : NULL;
    if (bank == NULL && relay != NULL && rules != NULL)
        snprintf(err, sizeof err, "out of memory");
    else if (bank == NULL)
        pm_bank_rules_free(rules); /* not handed over */
    pm_service svc = {.payment_topic = s.topic_payment,
                      .dead_letter_topic = s.topic_dead_letter,
                      .source = "/boissipay/payment",
                      .consumer = "payment.requested",
                      .relay = relay,
                      .bank = bank};
    pm_events *events = bank ? pm_events_start(s.common.kafka_brokers, s.consumer_group,
                                               s.topic_payment, s.common.database_url, &svc,
                                               err, sizeof err)
                             : NULL;
    pm_http_app app = {.pool = bp_db_pool_new(s.common.database_url),
                       .relay = relay,
                       .consumer = pm_events_consumer(events)};
    size_t nroutes;
    const bp_http_route *routes = pm_http_routes(&nroutes);
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
                         .ready = pm_http_ready,
                         .app = &app};
    bp_http_server *http = events && app.pool ? bp_http_start(&hc, err, sizeof err) : NULL;
    int status = 0;
    if (http == NULL) {
        bp_log_error("cannot start: %s", err);
        status = 1;
    } else {
        bp_log_fields(BP_LOG_INFO,
                      json_pack("{s:i, s:s, s:i, s:f}", "port", (int)s.common.http_port, "topic",
                                s.topic_payment, "bankDelayMs", (int)s.bank_delay_ms,
                                "startup_ms", (double)(bp_time_mono_us() - started) / 1000.0),
                      "payment service listening");
        int sig = bp_daemon_wait_signal();
        bp_log_info("signal %d: shutting down", sig);
        bp_http_quiesce(http);
    }
    bp_http_stop(http);
    pm_events_stop(events);
    pm_bank_free(bank);
    bp_outbox_relay_stop(relay, (int)s.common.shutdown_grace_seconds * 1000);
    bp_db_pool_free(app.pool);
    bp_auth_free(auth);
    bp_log_info("stopped");
    return status;
}
