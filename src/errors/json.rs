//! Actix's JSON extractor errors as envelopes.

use super::{ApiError, Code};

/// Turns actix's JSON extractor errors (bad JSON, wrong content type, body too large, wrong
/// shape) into the envelope.
pub fn from_json_error(err: actix_web::error::JsonPayloadError) -> ApiError {
    use actix_web::error::JsonPayloadError as E;
    match &err {
        E::OverflowKnownLength { .. } | E::Overflow { .. } => ApiError::of(Code::PayloadTooLarge),
        E::ContentType => ApiError::of(Code::UnsupportedMediaType),
        E::Deserialize(e) if e.is_data() => {
            ApiError::new(Code::ValidationFailed, format!("The JSON does not have the expected shape: {e}"))
        }
        E::Deserialize(e) => ApiError::new(Code::InvalidJson, format!("The body is not valid JSON: {e}")),
        _ => ApiError::new(Code::InvalidBody, format!("The body could not be read: {err}")),
    }
}
