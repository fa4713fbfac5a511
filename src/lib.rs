//! stagelab: an A/B testing and experimentation platform built around the customer lifecycle.
//!
//! Layers, from the outside in:
//! - [`cli`]: the `stagelab` command line (one module per subcommand);
//! - [`http`]: actix-web handlers, one file per action, and the app factory in [`startup`];
//! - [`apply`] and [`files`]: experiments as code;
//! - [`db`]: every diesel query, the schema, the pool and migrations;
//! - [`pg`]: the embedded PostgreSQL cluster used when no `DATABASE_URL` is set;
//! - [`simulate`]: a synthetic store with known true effects that drives the HTTP API (a client);
//! - [`domain`] and [`stats`]: pure code that knows nothing of HTTP or SQL.

pub mod analysis;
pub mod apply;
pub mod assign;
pub mod changes;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod errors;
pub mod events;
pub mod files;
pub mod http;
pub mod keys;
pub mod limit;
pub mod metrics;
pub mod notify;
pub mod pg;
pub mod report;
pub mod simulate;
pub mod startup;
pub mod state;
pub mod stats;
pub mod telemetry;
pub mod templates;
pub mod users;
pub mod watch;
pub mod webhooks;
