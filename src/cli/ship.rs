//! `stagelab ship KEY VARIANT` and `stagelab unship KEY` (CONTRACT §7): the same change as the
//! API's and the UI's, audited with the actor `cli:<os user>`.

use super::CliError;
use crate::changes::{self, ChangeError};
use crate::config::Config;
use clap::Args;

/// `stagelab ship`.
#[derive(Debug, Args)]
pub struct ShipArgs {
    /// The experiment's key.
    pub key: String,
    /// The variant to serve to every eligible customer.
    pub variant: String,
}

/// `stagelab unship`.
#[derive(Debug, Args)]
pub struct UnshipArgs {
    /// The experiment's key.
    pub key: String,
}

/// Ships the variant (stopping the experiment if it runs).
pub async fn ship(config: Config, args: ShipArgs) -> Result<(), CliError> {
    let actor = super::cli_actor();
    super::with_database(&config, async |db| {
        let mut conn = db.pool.get().await.map_err(|e| CliError::Failure(e.into()))?;
        let from = changes::ship(&mut conn, &args.key, &args.variant, &actor).await.map_err(refused)?;
        println!("{}: {from} → shipped; every eligible customer now gets {:?}.", args.key, args.variant);
        Ok(())
    })
    .await
}

/// Ends the rollout.
pub async fn unship(config: Config, args: UnshipArgs) -> Result<(), CliError> {
    let actor = super::cli_actor();
    super::with_database(&config, async |db| {
        let mut conn = db.pool.get().await.map_err(|e| CliError::Failure(e.into()))?;
        changes::unship(&mut conn, &args.key, &actor).await.map_err(refused)?;
        println!("{}: shipped → stopped; the rollout has ended.", args.key);
        Ok(())
    })
    .await
}

/// A refused change is the user's to fix (exit 2); a database failure is not (exit 1).
fn refused(e: ChangeError) -> CliError {
    match e {
        ChangeError::Database(e) => CliError::Failure(e.into()),
        other => CliError::Input(other.to_string()),
    }
}
