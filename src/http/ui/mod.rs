//! The admin UI: server-rendered pages behind a login (sessions in PostgreSQL, CSRF tokens on
//! every form, roles admin > editor > viewer), with strict security headers.

mod audit;
mod dashboard;
mod edit;
pub mod error;
mod experiment;
mod experiments;
pub mod form;
mod keys;
mod login;
mod logout;
mod programme;
mod report;
pub mod session;
mod ship;
mod status;
mod tools;
mod users;
mod webhooks;

use actix_web::http::header;
use actix_web::{web, HttpResponse, HttpResponseBuilder};

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(login::show)
        .service(login::submit)
        .service(logout::logout)
        .service(dashboard::dashboard)
        .service(keys::list)
        .service(keys::create)
        .service(keys::revoke)
        .service(audit::log)
        .service(users::list)
        .service(users::create)
        .service(users::disable)
        .service(webhooks::list)
        .service(webhooks::create)
        .service(webhooks::delete)
        .service(webhooks::test)
        .service(tools::tools)
        .service(programme::show)
        .service(experiments::list)
        .service(edit::new_form)
        .service(edit::create)
        .service(edit::edit_form)
        .service(edit::update)
        .service(edit::export)
        .service(report::page_of)
        .service(report::csv)
        .service(status::confirm)
        .service(status::change)
        .service(ship::confirm)
        .service(ship::ship)
        .service(ship::confirm_unship)
        .service(ship::unship)
        .service(experiment::detail);
}

/// The security headers of every UI page: no inline scripts or styles, no framing, no sniffing.
pub fn with_headers(mut builder: HttpResponseBuilder) -> HttpResponseBuilder {
    builder
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "same-origin"))
        .insert_header((header::CACHE_CONTROL, "no-store"));
    builder
}

/// A 200 HTML page with the security headers.
pub fn page(html: String) -> HttpResponse {
    with_headers(HttpResponse::Ok()).content_type("text/html; charset=utf-8").body(html)
}

/// Percent-encodes a URL component (everything but unreserved characters and `/`).
pub fn encode_component(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A local redirect target: a path on this site, else `/` (no open redirects).
pub fn safe_next(next: &str) -> &str {
    let second = next.as_bytes().get(1).copied();
    let plain = next.bytes().all(|b| b.is_ascii_alphanumeric() || b"/_.~?=&%-+,".contains(&b));
    if next.starts_with('/') && second != Some(b'/') && plain && next.len() <= 500 {
        next
    } else {
        "/"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_targets_stay_on_site() {
        assert_eq!(safe_next("/experiments?stage=reach"), "/experiments?stage=reach");
        assert_eq!(safe_next("//evil.example"), "/");
        assert_eq!(safe_next("https://evil.example"), "/");
        assert_eq!(safe_next("/\\evil"), "/");
        assert_eq!(safe_next("/\t/evil.example"), "/", "browsers drop tabs: this would be //evil.example");
        assert_eq!(safe_next("/ /evil"), "/");
        assert_eq!(safe_next("/report?x=%2F"), "/report?x=%2F");
        assert_eq!(encode_component("/a b?c=d"), "/a%20b%3Fc%3Dd");
    }
}
