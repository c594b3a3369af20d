/* bp_settings: the settings every daemon shares (HTTP, database, Kafka, keys,
 * logging), as a struct to embed in a service's settings and the matching
 * config-table rows. Defaults differ per daemon only in port and database. */
#ifndef BP_SETTINGS_H
#define BP_SETTINGS_H

#include "bp_config.h"
#include "bp_log.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    const char *http_bind;
    long http_port;
    long http_threads;
    long http_max_connections;
    long http_max_connections_per_client;
    long http_timeout_seconds;
    long http_header_timeout_seconds;
    long http_body_timeout_seconds;
    long http_max_body_bytes;
    bool http_access_log;
    const char *database_url;
    const char *kafka_brokers;
    const char *api_keys;
    const char *log_level;
    long outbox_poll_ms;
    long shutdown_grace_seconds;
} bp_common_settings;

/* Config rows for a `bp_common_settings` stored at member `m` of struct type `T`,
 * with the daemon's default port and database URL. */
/* One row per variable: not reflowed. */
/* clang-format off */
#define BP_COMMON_CONFIG_ROWS(T, m, port, dburl)                                                  \
    {"BP_HTTP_BIND", BP_CONFIG_STRING, offsetof(T, m.http_bind), "0.0.0.0", 7, 15,               \
     "IPv4 address the REST API listens on", false, NULL, NULL},                                             \
    {"BP_HTTP_PORT", BP_CONFIG_INT, offsetof(T, m.http_port), port, 1, 65535,                    \
     "TCP port of the REST API", false, NULL, NULL},                                                         \
    {"BP_HTTP_THREADS", BP_CONFIG_INT, offsetof(T, m.http_threads), "8", 1, 256,                 \
     "HTTP worker threads (one database connection each)", false, NULL, NULL},                               \
    {"BP_HTTP_MAX_CONNECTIONS", BP_CONFIG_INT, offsetof(T, m.http_max_connections), "512", 1,    \
     65536, "concurrent HTTP connections accepted", false, NULL, NULL},                                      \
    {"BP_HTTP_TIMEOUT_SECONDS", BP_CONFIG_INT, offsetof(T, m.http_timeout_seconds), "30", 1,     \
     3600, "idle HTTP connection timeout", false, NULL, NULL},                                               \
    {"BP_HTTP_MAX_CONNECTIONS_PER_CLIENT", BP_CONFIG_INT,                                        \
     offsetof(T, m.http_max_connections_per_client), "64", 0, 65536,                             \
     "HTTP connections one client address may hold (0: no limit; raise it behind a proxy)",     \
     false, NULL, NULL},                                                                                   \
    {"BP_HTTP_HEADER_TIMEOUT_SECONDS", BP_CONFIG_INT, offsetof(T, m.http_header_timeout_seconds), \
     "10", 1, 3600, "time a client has to send a request line and headers (and to start the "    \
     "next request on a kept-alive connection)", false, NULL, NULL},                                          \
    {"BP_HTTP_BODY_TIMEOUT_SECONDS", BP_CONFIG_INT, offsetof(T, m.http_body_timeout_seconds),    \
     "30", 1, 3600, "time a client has to send a whole request body", false, NULL, NULL},                    \
    {"BP_HTTP_MAX_BODY_BYTES", BP_CONFIG_INT, offsetof(T, m.http_max_body_bytes), "65536", 1024, \
     16777216, "largest request body accepted (413 beyond)", false, NULL, NULL},                             \
    {"BP_HTTP_ACCESS_LOG", BP_CONFIG_BOOL, offsetof(T, m.http_access_log), "true", 0, 0,         \
     "log one line per HTTP request", false, NULL, NULL},                                                    \
    {"BP_DATABASE_URL", BP_CONFIG_STRING, offsetof(T, m.database_url), dburl, 1, 0,              \
     "libpq connection URI of the daemon's own database", true, NULL, NULL},                                 \
    {"BP_KAFKA_BROKERS", BP_CONFIG_STRING, offsetof(T, m.kafka_brokers), "127.0.0.1:9092", 1,    \
     0, "Kafka bootstrap servers", false, NULL, NULL},                                                       \
    {"BP_API_KEYS", BP_CONFIG_STRING, offsetof(T, m.api_keys), NULL, 1, 0,                       \
     "comma-separated key:scope pairs, scope r or rw; keys >= 16 characters", true, NULL, NULL},             \
    {"BP_LOG_LEVEL", BP_CONFIG_ENUM, offsetof(T, m.log_level), "info", 0, 0, "least severe "    \
     "level logged", false, bp_log_level_names, NULL},                                            \
    {"BP_OUTBOX_POLL_MS", BP_CONFIG_INT, offsetof(T, m.outbox_poll_ms), "1000", 10, 60000,       \
     "outbox relay polling interval when no notification arrives", false, NULL, NULL},                       \
    {"BP_SHUTDOWN_GRACE_SECONDS", BP_CONFIG_INT, offsetof(T, m.shutdown_grace_seconds), "10", 0, \
     300, "time given to flush events at shutdown", false, NULL, NULL}
/* clang-format on */

#endif
