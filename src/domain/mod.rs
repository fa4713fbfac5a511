//! Pure domain types: what a lifecycle, an experiment and a credential are, parsed into types that
//! cannot be invalid. Nothing here knows of HTTP or SQL.

pub mod experiment;
pub mod key;
pub mod lifecycle;
pub mod named;
pub mod notice;
pub mod password;
pub mod schedule;
pub mod session;
pub mod targeting;
pub mod webhook;
