/* boissipay-payment: wiring only. Reads the settings, then (bp_boot) applies
 * migrations and starts the outbox relay; starts the simulated bank, the
 * collector of payments fallen due, the `payment` topic consumer and the REST
 * server, waits for SIGTERM/SIGINT and stops them in reverse order (each
 * finishes the payment in hand first). */
#include "bp_boot.h"
#include "bp_daemon.h"
#include "bp_docs.h"
#include "bp_log.h"
#include "payment_bank_sim.h"
#include "payment_collector.h"
#include "payment_config.h"
#include "payment_events.h"
#include "payment_http.h"
#include "payment_migrations.h"

#include <stdio.h>
#include <string.h>

/* A simulated bank on the daemon's database (one per thread that collects). */
static pm_bank *start_bank(const pm_settings *s, char *err, size_t errsize)
{
    pm_bank_rules *rules = pm_config_bank_rules(s, err, errsize);
    /* rules are the bank's from here, also when it cannot be made */
    pm_bank *bank =
        rules ? pm_bank_sim_new(s->common.database_url, rules, (int)s->bank_delay_ms) : NULL;
    if (bank == NULL && rules != NULL)
        snprintf(err, errsize, "out of memory");
    return bank;
}

int main(int argc, char **argv)
{
    const bp_boot_spec spec = {.service = "payment",
                               .binary = "boissipay-payment",
                               .migrations = pm_migrations,
                               .nmigrations = pm_migrations_count,
                               .openapi = bp_openapi_spec,
                               .openapi_len = bp_openapi_spec_len};
    bp_boot b;
    int status = bp_boot_args(&b, &spec, argc, argv, pm_config_print);
    if (status >= 0)
        return status;
    pm_settings s;
    if (!pm_config_load(&s, b.err, sizeof b.err))
        bp_daemon_config_fail(spec.binary, b.err);
    status = bp_boot_start(&b, &s.common);
    if (status >= 0)
        return status;

    pm_bank *bank = start_bank(&s, b.err, sizeof b.err);
    pm_service_declare_metrics();
    pm_service svc = {.payment_topic = s.topic_payment,
                      .dead_letter_topic = s.topic_dead_letter,
                      .source = "/boissipay/payment",
                      .consumer = "payment.requested",
                      .relay = b.relay,
                      .bank = bank,
                      .at_once = strcmp(s.collect, "at-once") == 0,
                      .timezone = s.timezone,
                      .dunning = &s.dunning,
                      .test_clock_file = s.test_clock_file};
    if (s.test_clock_file[0] != '\0')
        bp_log_warn("TEST CLOCK ON: due dates and retries follow the offset in %s "
                    "(BP_TEST_CLOCK_FILE is for tests only)",
                    s.test_clock_file);
    pm_collector *collector =
        bank ? pm_collector_start(&svc, start_bank(&s, b.err, sizeof b.err), s.common.database_url,
                                  (int)s.due_poll_ms, b.err, sizeof b.err)
             : NULL;
    pm_events *events =
        collector ? pm_events_start(s.common.kafka_brokers, s.consumer_group, s.topic_payment,
                                    s.common.database_url, &svc, b.err, sizeof b.err)
                  : NULL;
    pm_http_app app = {.pool = bp_db_pool_new(s.common.database_url),
                       .relay = b.relay,
                       .consumer = pm_events_consumer(events),
                       .svc = &svc};
    size_t nroutes;
    const bp_http_route *routes = pm_http_routes(&nroutes);
    bp_http_config hc = bp_boot_http(&b, &s.common, routes, nroutes, pm_http_ready, &app);
    bp_http_server *http = NULL;
    status = bp_boot_serve(&b, &hc, events && app.pool,
                           json_pack("{s:s, s:s, s:s, s:i, s:s}", "topic", s.topic_payment,
                                     "collect", s.collect, "timezone", s.timezone, "bankDelayMs",
                                     (int)s.bank_delay_ms, "retryDays", s.retry_days),
                           &http);

    bp_http_stop(http);
    pm_collector_signal(collector); /* both finish the debit in hand at the same time */
    pm_events_stop(events);
    pm_collector_stop(collector);
    pm_bank_free(bank);
    bp_db_pool_free(app.pool);
    bp_boot_stop(&b, &s.common);
    return status;
}
