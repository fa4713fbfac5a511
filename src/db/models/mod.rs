//! One file per table: row structs, insert forms and query functions returning `QueryResult`.

pub mod api_keys;
pub mod audit;
pub mod customers;
pub mod deliveries;
mod enums;
pub mod events;
pub mod experiments;
pub mod exposures;
pub mod outcomes;
pub mod programme;
pub mod results;
pub mod sessions;
pub mod settings;
pub mod stages;
pub mod users;
pub mod watch_state;
pub mod webhooks;

/// A JSON column that does not hold what the domain expects: surfaced as a deserialisation error.
pub(crate) fn bad_json(what: &str, e: impl std::fmt::Display) -> diesel::result::Error {
    diesel::result::Error::DeserializationError(format!("stored {what} is invalid: {e}").into())
}
