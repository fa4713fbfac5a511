//! `GET /static/{file}`: the stylesheet and other assets, compiled into the binary (no CDN, works
//! offline).

use actix_web::http::header;
use actix_web::{get, web, HttpResponse};

/// (name, content type, bytes).
const ASSETS: [(&str, &str, &[u8]); 2] = [
    ("stagelab.css", "text/css; charset=utf-8", include_bytes!("../../static/stagelab.css")),
    ("favicon.svg", "image/svg+xml", include_bytes!("../../static/favicon.svg")),
];

#[get("/static/{file}")]
async fn asset(path: web::Path<String>) -> HttpResponse {
    match ASSETS.iter().find(|(name, _, _)| *name == path.as_str()) {
        Some((_, content_type, bytes)) => HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, *content_type))
            .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
            .body(*bytes),
        None => HttpResponse::NotFound().content_type("text/plain; charset=utf-8").body("not found"),
    }
}

/// Registers the route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(asset);
}
