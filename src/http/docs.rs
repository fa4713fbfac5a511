//! `GET /api/docs`: a browsable page of the OpenAPI document (Swagger UI), with its assets under
//! `/api/docs/{file}`. The assets are vendored in `static/swagger-ui/` and compiled into the binary
//! (no CDN, works offline). No key is needed to read the page; "Try it out" sends the key the
//! reader enters under "Authorize".
//!
//! The page has its own Content-Security-Policy, as strict as the admin UI's: scripts and styles
//! only from this origin (the initialiser is a file, not inline), requests only to this origin, no
//! framing. Swagger UI styles elements through the CSSOM, which the policy allows; the browser test
//! (`tests/browser/ui.mjs`) fails on any violation.

use crate::errors::{ApiError, Code};
use actix_web::http::header;
use actix_web::{get, web, HttpResponse, HttpResponseBuilder};

/// Where the page is served.
pub const PATH: &str = "/api/docs";

/// The page's Content-Security-Policy.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; \
    base-uri 'none'";

const PAGE: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>stagelab API</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/api/docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/api/docs/swagger-ui-bundle.js"></script>
<script src="/api/docs/init.js"></script>
</body>
</html>
"#;

/// (name, content type, bytes).
const ASSETS: [(&str, &str, &[u8]); 3] = [
    (
        "swagger-ui-bundle.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/swagger-ui/swagger-ui-bundle.js"),
    ),
    ("swagger-ui.css", "text/css; charset=utf-8", include_bytes!("../../static/swagger-ui/swagger-ui.css")),
    ("init.js", "text/javascript; charset=utf-8", include_bytes!("../../static/swagger-ui/init.js")),
];

/// The page's security headers.
fn with_headers(mut builder: HttpResponseBuilder) -> HttpResponseBuilder {
    builder
        .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "same-origin"));
    builder
}

#[get("/api/docs")]
async fn page() -> HttpResponse {
    with_headers(HttpResponse::Ok())
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .content_type("text/html; charset=utf-8")
        .body(PAGE)
}

#[get("/api/docs/{file}")]
async fn asset(path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let (_, content_type, bytes) = ASSETS
        .iter()
        .find(|(name, _, _)| *name == path.as_str())
        .ok_or_else(|| ApiError::new(Code::NotFound, format!("No asset {:?}.", path.as_str())))?;
    Ok(with_headers(HttpResponse::Ok())
        .insert_header((header::CONTENT_TYPE, *content_type))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(*bytes))
}

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(page).service(asset);
}
