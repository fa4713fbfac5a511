// Starts Swagger UI on the service's OpenAPI document. A file rather than an inline script: the
// page's Content-Security-Policy allows scripts from this origin only.
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/api/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    // No badge from validator.swagger.io: the page talks to this service only.
    validatorUrl: null,
  });
});
