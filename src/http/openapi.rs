//! `GET /api/openapi.json`: the OpenAPI 3.1 document of the HTTP API, generated from the code
//! (utoipa): each route module contributes its `ApiDoc` (the handlers' `#[utoipa::path]`
//! annotations and the request and response types they name), and [`document`] adds what every
//! `/api/v1` route shares: the API-key security schemes and the error envelope for 4xx/5xx.
//! Served without authentication.

use crate::errors::Code;
use actix_web::http::header;
use actix_web::{get, web, HttpResponse};
use std::sync::LazyLock;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa::OpenApi;

/// Where the document is served.
pub const PATH: &str = "/api/openapi.json";

/// The document's root: metadata, tags and the shared schemas; [`document`] merges in the routes.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "stagelab",
        description = "A/B testing for the customer lifecycle: storefronts ask which variant a customer \
            gets and report stage transitions, purchases and referrals; analysts read experiments and \
            their results.\n\nAuthenticate with an API key: `Authorization: Bearer <token>` (create one \
            with `stagelab keys create NAME --role storefront|admin`). Storefront keys may call the \
            `storefront` endpoints; admin keys may call everything. Every error, whatever its status, \
            is the JSON envelope `ErrorEnvelope`."
    ),
    components(schemas(crate::errors::Envelope)),
    tags(
        (name = "storefront", description = "Assignments and events (storefront or admin key)."),
        (name = "experiments", description = "Definitions, lifecycle and results (admin key)."),
        (name = "webhooks", description = "Where notifications are delivered (admin key)."),
        (name = "operations", description = "Health, readiness and metrics (no key)."),
    )
)]
struct Root;

/// The complete document.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = Root::openapi();
    doc.merge(super::assignments::ApiDoc::openapi());
    doc.merge(super::events::ApiDoc::openapi());
    doc.merge(super::experiments::ApiDoc::openapi());
    doc.merge(super::lifecycle::ApiDoc::openapi());
    doc.merge(super::programme::ApiDoc::openapi());
    doc.merge(super::webhooks::ApiDoc::openapi());
    doc.merge(super::health::ApiDoc::openapi());
    doc.merge(super::metrics::ApiDoc::openapi());
    add_security_schemes(&mut doc);
    add_error_responses(&mut doc);
    doc
}

/// The API keys, as [`crate::http::auth`] checks them: a bearer token whose role decides access.
fn add_security_schemes(doc: &mut utoipa::openapi::OpenApi) {
    let components = doc.components.get_or_insert_with(Default::default);
    let bearer = |description: &str| {
        SecurityScheme::Http(
            HttpBuilder::new().scheme(HttpAuthScheme::Bearer).description(Some(description.to_string())).build(),
        )
    };
    components.add_security_scheme(
        "storefront_key",
        bearer("A storefront API key (`stagelab keys create NAME --role storefront`): assignments and events."),
    );
    components.add_security_scheme(
        "admin_key",
        bearer("An admin API key (`stagelab keys create NAME --role admin`): every endpoint."),
    );
}

/// The error responses every `/api/v1` operation can give, by what the operation takes: the
/// code of the example (its status comes from the code table) and the description.
const AUTH_ERRORS: [(Code, &str); 4] = [
    (Code::Unauthorized, "No valid API key (`unauthorized`)."),
    (Code::Forbidden, "The key's role may not do this (`forbidden`), e.g. a storefront key on an admin endpoint."),
    (Code::Internal, "An unexpected failure (`internal`); the cause is logged, not sent."),
    (
        Code::Unavailable,
        "The database is unavailable or overloaded (`unavailable`, `overloaded`); retry after `Retry-After`.",
    ),
];

/// The error responses of an operation that takes a JSON body.
const BODY_ERRORS: [(Code, &str); 4] = [
    (Code::InvalidJson, "The body is not valid JSON (`invalid_json`) or cannot be read (`invalid_body`)."),
    (
        Code::PayloadTooLarge,
        "The body exceeds 16 MiB (`payload_too_large`) or the batch is too long (`batch_too_large`).",
    ),
    (Code::UnsupportedMediaType, "The body is not `application/json` (`unsupported_media_type`)."),
    (Code::ValidationFailed, "Well-formed but invalid (`validation_failed`); `details` lists every problem."),
];

/// Adds the shared error responses (the envelope) to every `/api/v1` operation.
fn add_error_responses(doc: &mut utoipa::openapi::OpenApi) {
    for (path, item) in doc.paths.paths.iter_mut() {
        if !path.starts_with("/api/v1/") {
            continue;
        }
        for operation in operations(item) {
            let mut shared: Vec<(Code, &str)> = AUTH_ERRORS.to_vec();
            if operation.request_body.is_some() {
                shared.extend(BODY_ERRORS);
            }
            for (code, description) in shared {
                let status = code.status().as_u16().to_string();
                operation.responses.responses.entry(status).or_insert_with(|| envelope(code, description));
            }
        }
    }
}

/// The operations of a path item.
fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete]
        .into_iter()
        .filter_map(Option::as_mut)
}

/// A response whose body is the error envelope, with an example of `code`.
fn envelope(code: Code, description: &str) -> RefOr<Response> {
    let details = match code {
        Code::ValidationFailed => vec![serde_json::json!({"index": 0, "field": "occurred_at", "reason": "missing",
            "message": "`occurred_at` is required, as an RFC 3339 time such as \"2026-11-23T10:00:00Z\""})],
        _ => vec![],
    };
    let message = description.split(" (`").next().unwrap_or(description);
    let code = code.as_str();
    let example = serde_json::json!({"error": {"code": code, "message": format!("{message}."), "details": details}});
    let content = ContentBuilder::new()
        .schema(Some(Ref::from_schema_name("ErrorEnvelope")))
        .examples_from_iter([(code, utoipa::openapi::example::ExampleBuilder::new().value(Some(example)).build())])
        .build();
    ResponseBuilder::new().description(description).content("application/json", content).build().into()
}

/// Registers the route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(openapi_json);
}

#[get("/api/openapi.json")]
async fn openapi_json() -> HttpResponse {
    // Built once: the document depends only on the code.
    static JSON: LazyLock<String> =
        LazyLock::new(|| serde_json::to_string(&document()).expect("the OpenAPI document is plain data"));
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/json"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(JSON.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_api_route_is_documented_with_the_envelope() {
        let doc = serde_json::to_value(document()).unwrap();
        let paths = doc["paths"].as_object().unwrap();
        for path in [
            "/api/v1/assignments",
            "/api/v1/assignments/batch",
            "/api/v1/events",
            "/api/v1/experiments",
            "/api/v1/experiments/{key}",
            "/api/v1/experiments/{key}/results",
            "/api/v1/experiments/{key}/results.csv",
            "/api/v1/lifecycle",
            "/healthz",
            "/readyz",
            "/metrics",
        ] {
            assert!(paths.contains_key(path), "{path} is missing");
        }
        let assign = &paths["/api/v1/assignments"]["post"];
        for status in ["400", "401", "403", "413", "415", "422", "500", "503"] {
            assert_eq!(
                assign["responses"][status]["content"]["application/json"]["schema"]["$ref"],
                "#/components/schemas/ErrorEnvelope",
                "{status}"
            );
        }
        assert!(assign["requestBody"]["content"]["application/json"]["schema"].is_object());
        let schemes = &doc["components"]["securitySchemes"];
        assert_eq!(schemes["admin_key"]["scheme"], "bearer");
        assert_eq!(schemes["storefront_key"]["scheme"], "bearer");
        assert!(paths["/healthz"]["get"]["security"].is_null(), "health checks need no key");
    }
}
