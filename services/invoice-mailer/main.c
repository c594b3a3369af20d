/* boissipay-invoice-mailer: wiring only. Reads the settings, applies
 * migrations, starts the outbox relay, the sender threads, the `invoice` topic
 * consumer and the REST server, then waits for SIGTERM/SIGINT and stops them in
 * reverse order. */
#include "bp_auth.h"
#include "bp_daemon.h"
#include "bp_http.h"
#include "bp_log.h"
#include "bp_migrate.h"
#include "bp_outbox.h"
#include "bp_time.h"
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

#define SERVICE "boissipay-invoice-mailer"

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
                                    .connect_timeout_s = s->smtp_connect_timeout_seconds,
                                    .timeout_s = s->smtp_timeout_seconds},
                           .threads = (int)s->smtp_senders,
                           .poll_ms = (int)s->smtp_poll_ms,
                           .stop_grace_ms = (int)s->common.shutdown_grace_seconds * 1000};
    return ml_sender_start(&sc, err, errsize);
}

static int serve(const ml_settings *s, bp_auth *auth, int64_t started)
{
    char err[512] = "";
    bp_outbox_config oc = {.database_url = s->common.database_url,
                           .brokers = s->common.kafka_brokers,
                           .client_id = SERVICE,
                           .poll_ms = (int)s->common.outbox_poll_ms,
                           .batch_size = 500};
    bp_outbox_relay *relay = bp_outbox_relay_start(&oc, err, sizeof err);
    ml_service svc = {.invoice_topic = s->topic_invoice,
                      .dead_letter_topic = s->topic_dead_letter,
                      .consumer = s->consumer_group,
                      .source = "/boissipay/invoice-mailer",
                      .from = s->smtp_from,
                      .relay = relay,
                      .retry_min_ms = s->smtp_retry_min_ms,
                      .retry_max_ms = s->smtp_retry_max_ms,
                      /* longer than any dialogue: only a dead sender's mail outlives it */
                      .lease_ms = (s->smtp_connect_timeout_seconds + s->smtp_timeout_seconds) *
                                      1000 + 30000,
                      .max_attempts = s->smtp_max_attempts};
    ml_sender *sender = relay ? start_sender(s, &svc, err, sizeof err) : NULL;
    ml_events *events = sender ? ml_events_start(s->common.kafka_brokers, s->consumer_group,
                                                 s->topic_invoice, s->common.database_url, &svc,
                                                 sender, err, sizeof err)
                               : NULL;
    ml_http_app app = {.pool = bp_db_pool_new(s->common.database_url),
                       .relay = relay,
                       .consumer = ml_events_consumer(events)};
    size_t nroutes;
    const bp_http_route *routes = ml_http_routes(&nroutes);
    bp_http_config hc = {.bind_address = s->common.http_bind,
                         .port = (int)s->common.http_port,
                         .threads = (int)s->common.http_threads,
                         .max_connections = (int)s->common.http_max_connections,
                         .timeout_seconds = (int)s->common.http_timeout_seconds,
                         .max_body_bytes = (size_t)s->common.http_max_body_bytes,
                         .access_log = s->common.http_access_log,
                         .auth = auth,
                         .routes = routes,
                         .nroutes = nroutes,
                         .ready = ml_http_ready,
                         .app = &app};
    bp_http_server *http = events && app.pool ? bp_http_start(&hc, err, sizeof err) : NULL;
    int status = 0;
    if (http == NULL) {
        bp_log_error("cannot start: %s", err);
        status = 1;
    } else {
        bp_log_fields(BP_LOG_INFO,
                      json_pack("{s:i, s:s, s:i, s:f}", "port", (int)s->common.http_port, "smtp",
                                s->smtp_url, "senders", (int)s->smtp_senders, "startup_ms",
                                (double)(bp_time_mono_us() - started) / 1000.0),
                      "invoice-mailer listening");
        int sig = bp_daemon_wait_signal();
        bp_log_info("signal %d: shutting down", sig);
        bp_http_quiesce(http);
    }
    bp_http_stop(http);
    ml_events_stop(events);
    ml_sender_stop(sender);
    bp_outbox_relay_stop(relay, (int)s->common.shutdown_grace_seconds * 1000);
    bp_db_pool_free(app.pool);
    return status;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--print-config") == 0) {
        ml_config_print(stdout);
        return 0;
    }
    if (argc > 1) {
        fprintf(stderr, "usage: %s [--print-config]\nSettings come from the environment.\n",
                SERVICE);
        return 2;
    }
    int64_t started = bp_time_mono_us();
    bp_daemon_block_signals();
    ml_settings s;
    char err[512];
    if (!ml_config_load(&s, err, sizeof err))
        bp_daemon_config_fail(SERVICE, err);
    bp_log_level level = BP_LOG_INFO;
    bp_log_level_parse(s.common.log_level, &level);
    bp_log_init("invoice-mailer", level);
    bp_auth *auth = bp_auth_new(s.common.api_keys, err, sizeof err);
    if (auth == NULL) {
        char msg[600];
        snprintf(msg, sizeof msg, "BP_API_KEYS: %s", err);
        bp_daemon_config_fail(SERVICE, msg);
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        bp_auth_free(auth);
        bp_daemon_config_fail(SERVICE, "cannot initialise libcurl");
    }
    int status = bp_migrate_at_start(s.common.database_url, ml_migrations, ml_migrations_count);
    if (status == 0)
        status = serve(&s, auth, started);
    else
        status = status < 0 ? 0 : 1;
    curl_global_cleanup();
    bp_auth_free(auth);
    bp_log_info("stopped");
    return status;
}
