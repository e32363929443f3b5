// /docs: start Swagger UI on this service's own OpenAPI document. A file, not an inline
// script, so the page's Content-Security-Policy can forbid inline script. No external URL:
// validatorUrl null keeps Swagger UI from calling its online validator.
"use strict";
window.ui = SwaggerUIBundle({
  url: new URL("openapi.json", document.baseURI).href,
  dom_id: "#swagger-ui",
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
  deepLinking: true,
  displayRequestDuration: true,
  defaultModelsExpandDepth: 0,
  validatorUrl: null,
});
