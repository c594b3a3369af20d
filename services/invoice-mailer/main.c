/* boissipay-invoice-mailer: wiring only. Reads the settings, applies
 * migrations, starts the outbox relay, the sender threads, the `invoice` topic
 * consumer and the REST server, then waits for SIGTERM/SIGINT and stops them in
 * reverse order. */
#include "bp_boot.h"
#include "bp_daemon.h"
#include "bp_docs.h"
#include "mailer_config.h"
#include "mailer_events.h"
#include "mailer_http.h"
#include "mailer_migrations.h"
#include "mailer_sender.h"
#include "mailer_service.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static ml_sender *start_sender(const ml_settings *s, const ml_service *svc, char *err,
                               size_t errsize)
{
    ml_sender_config sc = {.database_url = s->common.database_url,
                           .service = svc,
                           .smtp = {.url = s->smtp_url,
                                    .user = s->smtp_user,
                                    .password = s->smtp_password,
                                    .from = s->smtp_from,
                                    .starttls = s->smtp_starttls,
                                    .ca_file = s->smtp_ca_file,
                                    .connect_timeout_s = s->smtp_connect_timeout_seconds,
                                    .timeout_s = s->smtp_timeout_seconds},
                           .threads = (int)s->smtp_senders,
                           .poll_ms = (int)s->smtp_poll_ms,
                           .stop_grace_ms = (int)s->common.shutdown_grace_seconds * 1000};
    return ml_sender_start(&sc, err, errsize);
}

int main(int argc, char **argv)
{
    const bp_boot_spec spec = {.service = "invoice-mailer",
                               .binary = "boissipay-invoice-mailer",
                               .migrations = ml_migrations,
                               .nmigrations = ml_migrations_count,
                               .openapi = bp_openapi_spec,
                               .openapi_len = bp_openapi_spec_len};
    bp_boot b;
    int status = bp_boot_args(&b, &spec, argc, argv, ml_config_print);
    if (status >= 0)
        return status;
    ml_settings s;
    if (!ml_config_load(&s, b.err, sizeof b.err))
        bp_daemon_config_fail(spec.binary, b.err);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) /* before any thread */
        bp_daemon_config_fail(spec.binary, "cannot initialise libcurl");
    status = bp_boot_start(&b, &s.common);
    if (status >= 0) {
        curl_global_cleanup();
        return status;
    }

    ml_service svc = {.invoice_topic = s.topic_invoice,
                      .dead_letter_topic = s.topic_dead_letter,
                      .consumer = s.consumer_group,
                      .source = "/boissipay/invoice-mailer",
                      .from = s.smtp_from,
                      .relay = b.relay,
                      .retry_min_ms = s.smtp_retry_min_ms,
                      .retry_max_ms = s.smtp_retry_max_ms,
                      /* longer than any dialogue: only a dead sender's mail outlives it */
                      .lease_ms =
                          (s.smtp_connect_timeout_seconds + s.smtp_timeout_seconds) * 1000 + 30000,
                      .max_attempts = s.smtp_max_attempts};
    ml_sender *sender = start_sender(&s, &svc, b.err, sizeof b.err);
    ml_events *events =
        sender ? ml_events_start(s.common.kafka_brokers, s.consumer_group, s.topic_invoice,
                                 s.common.database_url, &svc, sender, b.err, sizeof b.err)
               : NULL;
    ml_http_app app = {.pool = bp_db_pool_new(s.common.database_url),
                       .relay = b.relay,
                       .consumer = ml_events_consumer(events)};
    size_t nroutes;
    const bp_http_route *routes = ml_http_routes(&nroutes);
    bp_http_config hc = bp_boot_http(&b, &s.common, routes, nroutes, ml_http_ready, &app);
    bp_http_server *http = NULL;
    status = bp_boot_serve(
        &b, &hc, events && app.pool,
        json_pack("{s:s, s:i}", "smtp", s.smtp_url, "senders", (int)s.smtp_senders), &http);

    bp_http_stop(http);
    ml_events_stop(events);
    ml_sender_stop(sender);
    bp_db_pool_free(app.pool);
    bp_boot_stop(&b, &s.common);
    curl_global_cleanup();
    return status;
}
