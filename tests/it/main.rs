//! The integration tests: one binary, a real PostgreSQL (the embedded cluster, shared by the
//! whole run) and a fresh database per test.

mod support;

mod api_experiments;
mod apply;
mod apply_rollout;
mod assignments;
mod backdating;
mod cli;
mod decisions;
mod durability;
mod embedded;
mod errors;
mod events;
mod faults;
mod fuzz;
mod health;
mod import;
mod layers;
mod migrations;
mod openapi;
mod paths;
mod programme;
mod results;
mod scale;
mod shipping;
mod simulate;
mod stored_exposures;
mod stored_values;
mod ui;
mod ui_rollout;
mod watch;
mod webhooks;
