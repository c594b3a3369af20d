/* boissipay-contract: wiring only. Reads the settings, then (bp_boot) applies
 * migrations and starts the outbox relay; starts the expiry sweeper and the
 * REST server, waits for SIGTERM/SIGINT and stops them in reverse order. */
#include "bp_boot.h"
#include "bp_daemon.h"
#include "bp_docs.h"
#include "bp_db.h"
#include "contract_config.h"
#include "contract_expiry.h"
#include "contract_http.h"
#include "contract_migrations.h"

int main(int argc, char **argv)
{
    const bp_boot_spec spec = {.service = "contract",
                               .binary = "boissipay-contract",
                               .migrations = ct_migrations,
                               .nmigrations = ct_migrations_count,
                               .openapi = bp_openapi_spec,
                               .openapi_len = bp_openapi_spec_len};
    bp_boot b;
    int status = bp_boot_args(&b, &spec, argc, argv, ct_config_print);
    if (status >= 0)
        return status;
    ct_settings s;
    if (!ct_config_load(&s, b.err, sizeof b.err))
        bp_daemon_config_fail(spec.binary, b.err);
    status = bp_boot_start(&b, &s.common);
    if (status >= 0)
        return status;

    ct_http_app app = {
        .service = {.topic = s.topic_contract, .source = "/boissipay/contract", .relay = b.relay},
        .pool = bp_db_pool_new(s.common.database_url),
        .relay = b.relay};
    ct_expiry *expiry =
        ct_expiry_start(&app.service, s.common.database_url, s.expiry_sweep_seconds);
    size_t nroutes;
    const bp_http_route *routes = ct_http_routes(&nroutes);
    bp_http_config hc = bp_boot_http(&b, &s.common, routes, nroutes, ct_http_ready, &app);
    bp_http_server *http = NULL;
    status = bp_boot_serve(&b, &hc, app.pool && expiry, NULL, &http);

    bp_http_stop(http);
    ct_expiry_stop(expiry);
    bp_db_pool_free(app.pool);
    bp_boot_stop(&b, &s.common);
    return status;
}
