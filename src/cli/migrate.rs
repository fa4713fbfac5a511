//! `stagelab migrate`: run pending migrations and exit.

use super::CliError;
use crate::config::Config;
use crate::db::migrate;

/// Runs the command (`config` does not migrate on connecting: this command reports what it ran).
pub async fn run(config: Config) -> Result<(), CliError> {
    let applied = super::with_database(&config, async |db| Ok(migrate::run_pending(db.url()).await?)).await?;
    if applied.is_empty() {
        println!("The database is up to date.");
    } else {
        for version in &applied {
            println!("applied {version}");
        }
        println!("{} migration(s) applied.", applied.len());
    }
    Ok(())
}
