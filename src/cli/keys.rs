//! `stagelab keys create|list|revoke`: API keys for storefronts and admin tools.

use super::CliError;
use crate::config::Config;
use crate::db::models::api_keys;
use crate::domain::key::KeyRole;
use clap::Subcommand;

/// `stagelab keys …`.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create a key and print its token (only the token, on stdout; it is shown once).
    Create {
        /// A label, e.g. the storefront's name.
        name: String,
        /// What the key may do.
        #[arg(long, value_enum, default_value = "storefront")]
        role: KeyRole,
    },
    /// List keys (never their tokens).
    List,
    /// Revoke a key by id.
    Revoke {
        /// The id shown by `keys list`.
        id: i64,
    },
}

/// Runs the command.
pub async fn run(config: Config, cmd: KeysCommand) -> Result<(), CliError> {
    if let KeysCommand::Create { name, .. } = &cmd {
        crate::keys::validate_name(name).map_err(CliError::Input)?;
    }
    super::with_database(&config, async |db| execute(&db.pool, cmd).await).await
}

async fn execute(pool: &crate::db::Pool, cmd: KeysCommand) -> Result<(), CliError> {
    let mut conn = pool.get().await?;
    match cmd {
        KeysCommand::Create { name, role } => {
            let (_, token) = crate::keys::create(&mut conn, name.trim(), role, &super::cli_actor()).await?;
            println!("{token}");
        }
        KeysCommand::List => {
            println!("{:>5}  {:<10}  {:<16}  {:<24}  {:<8}  name", "id", "role", "prefix", "created", "status");
            for k in api_keys::list(&mut conn).await? {
                let status = if k.revoked_at.is_some() { "revoked" } else { "active" };
                println!(
                    "{:>5}  {:<10}  {:<16}  {:<24}  {:<8}  {}",
                    k.id,
                    k.role,
                    k.prefix,
                    k.created_at.format("%Y-%m-%d %H:%M:%S UTC"),
                    status,
                    k.name
                );
            }
        }
        KeysCommand::Revoke { id } => {
            if !crate::keys::revoke(&mut conn, id, &super::cli_actor()).await? {
                return Err(CliError::input(format!("no active key with id {id}")));
            }
            println!("Key {id} revoked.");
        }
    }
    Ok(())
}
