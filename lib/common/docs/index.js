// Starts Swagger UI on the page of GET /docs (lib/common/docs/index.html) with the
// daemon's own spec. "Try it out" sends requests to the daemon that serves the page (the
// spec's first server is "/"); the key typed into "Authorize" goes out as
// "Authorization: Bearer <key>" (the spec's bearerAuth scheme). No validator badge: it
// would call validator.swagger.io.
"use strict";
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "openapi.yaml",
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    displayRequestDuration: true,
    onComplete: function () {
      var title = window.ui.specSelectors.info().get("title");
      if (title) {
        document.title = title;
      }
    },
  });
});
