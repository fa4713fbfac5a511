//! `stagelab migrate`: run pending migrations and exit.

use crate::config::Config;
use crate::db::migrate;
use std::process::ExitCode;

/// Runs the command.
pub async fn run(mut config: Config) -> ExitCode {
    config.migrate = false;
    let db = match super::connect(&config).await {
        Ok(db) => db,
        Err(code) => return code,
    };
    let result = migrate::run_pending(db.url()).await;
    db.close().await;
    match result {
        Ok(applied) if applied.is_empty() => {
            println!("The database is up to date.");
            ExitCode::SUCCESS
        }
        Ok(applied) => {
            for version in &applied {
                println!("applied {version}");
            }
            println!("{} migration(s) applied.", applied.len());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
