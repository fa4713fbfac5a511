//! stagelab: an A/B testing and experimentation platform built around the customer lifecycle.
//!
//! Layers, from the outside in:
//! - [`cli`]: the `stagelab` command line (one module per subcommand);
//! - [`http`]: actix-web handlers, one file per action, and the app factory in [`startup`];
//! - [`db`]: every diesel query, the schema and the connection pool;
//! - [`pg`]: the embedded PostgreSQL cluster used when no `DATABASE_URL` is set;
//! - [`domain`] and [`stats`]: pure code that knows nothing of HTTP or SQL.

pub mod cli;
pub mod stats;
