/* bp_docs: the API documentation every daemon serves about itself, with no key:
 *   GET /openapi.yaml   its OpenAPI spec, the bytes of openapi/<service>.yaml as built;
 *   GET /docs           a Swagger UI page that reads that spec and can try each
 *                       operation against the daemon itself ("Authorize" takes the key);
 *   GET /docs/<asset>   the page's script, style sheet and icons (GET /docs/ redirects
 *                       to /docs).
 * Everything is embedded in the binary at build time (cmake/bp_embed.cmake): the spec,
 * our page (lib/common/docs/) and Swagger UI's assets (third_party/swagger-ui-dist, the
 * npm package swagger-ui-dist); nothing is read from disk or fetched from elsewhere, and
 * the page's Content-Security-Policy lets it load nothing but from the daemon, so it
 * works offline. bp_http routes these paths (its built-in routes); the handlers only
 * read constant data and are safe on any HTTP thread. */
#ifndef BP_DOCS_H
#define BP_DOCS_H

#include "bp_http.h"

#include <stddef.h>

/* The spec of the daemon being linked: each daemon's executable embeds its
 * openapi/<service>.yaml under this name (services/<service>/CMakeLists.txt) and hands
 * it to bp_boot_spec.openapi. */
extern const unsigned char bp_openapi_spec[];
extern const size_t bp_openapi_spec_len;

/* GET /openapi.yaml: the spec given in bp_http_config.openapi (200, application/yaml),
 * or 404 NOT_FOUND when the server has none. */
void bp_docs_openapi(bp_http_request *req, bp_http_response *resp);

/* GET /docs: the Swagger UI page (200, text/html). 404 when the server has no spec. */
void bp_docs_page(bp_http_request *req, bp_http_response *resp);

/* GET /docs/: 301 to the page (Location "../docs", relative, so that it holds behind a
 * proxy that adds a path prefix). */
void bp_docs_slash(bp_http_request *req, bp_http_response *resp);

/* GET /docs/{asset}: one of the page's files (200, its media type), 404 NOT_FOUND for
 * any other name. */
void bp_docs_asset(bp_http_request *req, bp_http_response *resp);

/* The embedded asset `name` ("swagger-ui.css", "index.js", ...): its bytes and their
 * count in *len, and its media type in *type; NULL when there is no such asset. The
 * bytes are static (never freed). */
const unsigned char *bp_docs_find(const char *name, size_t *len, const char **type);

#endif
