/* boissipay-billing: wiring only. Reads the settings, sets the billing time
 * zone, then (bp_boot) applies migrations and starts the outbox relay; starts
 * the consumer (read model and settlement), the run scheduler, the group
 * committer of purchases and the REST server, waits for SIGTERM/SIGINT and
 * stops them in reverse order. */
#include "billing_config.h"
#include "billing_events.h"
#include "billing_groupcommit.h"
#include "billing_http.h"
#include "billing_invoice_store.h"
#include "billing_metrics.h"
#include "billing_migrations.h"
#include "billing_overdue.h"
#include "billing_run.h"
#include "bp_boot.h"
#include "bp_daemon.h"
#include "bp_docs.h"
#include "bp_log.h"

#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv)
{
    const bp_boot_spec spec = {.service = "billing",
                               .binary = "boissipay-billing",
                               .migrations = bl_migrations,
                               .nmigrations = bl_migrations_count,
                               .openapi = bp_openapi_spec,
                               .openapi_len = bp_openapi_spec_len};
    bp_boot b;
    int status = bp_boot_args(&b, &spec, argc, argv, bl_config_print);
    if (status >= 0)
        return status;
    bl_settings s;
    if (!bl_config_load(&s, b.err, sizeof b.err))
        bp_daemon_config_fail(spec.binary, b.err);
    setenv("TZ", s.timezone, 1); /* operation dates are taken in the billing time zone */
    tzset();
    status = bp_boot_start(&b, &s.common);
    if (status >= 0)
        return status;
    bp_db *boot = bp_db_new(s.common.database_url);
    if (boot == NULL || bl_istore_interrupt_runs(boot) != BP_DB_OK)
        bp_log_warn("could not mark interrupted billing runs");
    bp_db_free(boot);

    const char *topics[] = {s.topic_contract, s.topic_invoice, s.topic_payment, NULL};
    const bl_events_config ec = {.brokers = s.common.kafka_brokers,
                                 .group = s.consumer_group,
                                 .topics = topics,
                                 .database_url = s.common.database_url,
                                 .dead_letter_topic = s.topic_dead_letter,
                                 .relay = b.relay,
                                 .dunning = {.invoice_topic = s.topic_invoice,
                                             .source = "/boissipay/billing",
                                             .after_days = (int)s.overdue_after_days,
                                             .timezone = s.timezone,
                                             .test_clock_file = s.test_clock_file}};
    if (s.test_clock_file[0] != '\0')
        bp_log_warn("TEST CLOCK ON: the overdue sweep follows the offset in %s "
                    "(BP_TEST_CLOCK_FILE is for tests only)",
                    s.test_clock_file);
    bl_events *events = bl_events_start(&ec, b.err, sizeof b.err);
    bl_overdue *overdue =
        events ? bl_overdue_start(&ec.dunning, s.common.database_url, s.overdue_poll_ms, b.relay)
               : NULL;
    const bl_gc_config gcc = {.database_url = s.common.database_url,
                              .committers = s.gc_committers,
                              .window_us = s.gc_window_us,
                              .max_batch = s.gc_max_batch};
    bl_metrics_declare();
    bl_gc *gc = bl_gc_start(&gcc);
    if (gc == NULL && s.gc_committers > 0)
        bp_log_warn("group commit could not start: purchases commit one by one");
    bl_http_app app = {.service = {.operation_topic = s.topic_operation,
                                   .source = "/boissipay/billing",
                                   .relay = b.relay,
                                   .gc = gc},
                       .runs = {.invoice_topic = s.topic_invoice,
                                .payment_topic = s.topic_payment,
                                .source = "/boissipay/billing",
                                .relay = b.relay},
                       .pool = bp_db_pool_new(s.common.database_url),
                       .relay = b.relay,
                       .consumer = bl_events_consumer(events)};
    bl_scheduler *scheduler =
        s.schedule && events
            ? bl_scheduler_start(&app.runs, s.common.database_url, (int)s.run_day, s.run_minute)
            : NULL;
    size_t nroutes;
    const bp_http_route *routes = bl_http_routes(&nroutes);
    bp_http_config hc = bp_boot_http(&b, &s.common, routes, nroutes, bl_http_ready, &app);
    bp_http_server *http = NULL;
    status = bp_boot_serve(&b, &hc, events && app.pool, json_pack("{s:s}", "timezone", s.timezone),
                           &http);

    bp_http_stop(http);
    bl_gc_stop(gc); /* after the last request */
    bl_scheduler_stop(scheduler);
    bl_overdue_stop(overdue);
    bl_events_stop(events);
    bp_db_pool_free(app.pool);
    bp_boot_stop(&b, &s.common);
    return status;
}
