//! Test harness: isolated databases ([`TestDb`]), the app on port 0 ([`TestApp`]) with typed
//! storefront calls ([`api`]) and waits for its cache ([`cache`]), experiment files
//! ([`experiments`]) and the `stagelab` binary against a test database ([`cli`]).
//!
//! Every helper that more than one test file uses lives here; a test file keeps only what is
//! specific to it.

pub mod api;
pub mod app;
pub mod browser;
pub mod cache;
pub mod cli;
pub mod db;
pub mod experiments;
pub mod keys;
pub mod pytools;
pub mod receiver;
pub mod writes;

pub use api::AssignCall;
pub use app::TestApp;
pub use db::TestDb;
pub use experiments::{edit, experiments_copy, shipped_experiments};
