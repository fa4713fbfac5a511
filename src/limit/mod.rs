//! In-memory rate limits that protect the service from floods: database lookups of unknown API
//! tokens ([`MissLimiter`]) and failed UI logins ([`LoginLimiter`]). Pure counters, per node.

mod key_misses;
mod login;

pub use key_misses::MissLimiter;
pub use login::LoginLimiter;
