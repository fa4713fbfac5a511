//! `stagelab keys create|list|revoke`: API keys for storefronts and admin tools.

use crate::config::Config;
use crate::db::models::{api_keys, audit};
use crate::domain::key::{self, KeyRole};
use clap::Subcommand;
use std::process::ExitCode;

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
pub async fn run(config: Config, cmd: KeysCommand) -> ExitCode {
    if let KeysCommand::Create { name, .. } = &cmd {
        if name.trim().is_empty() || name.len() > 100 {
            eprintln!("error: the key name must have 1 to 100 characters");
            return ExitCode::from(2);
        }
    }
    let db = match super::connect(&config).await {
        Ok(db) => db,
        Err(code) => return code,
    };
    let result = execute(&db.pool, cmd).await;
    db.close().await;
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Stores a new key with its audit entry; returns the stored key and its token (shown once).
pub(crate) async fn create(
    conn: &mut diesel_async::AsyncPgConnection,
    name: &str,
    role: KeyRole,
    actor: &str,
) -> anyhow::Result<(api_keys::ApiKey, String)> {
    let token = key::generate(role);
    let new = api_keys::NewApiKey { name, role: role.as_str(), prefix: &token.prefix, token_hash: &token.hash };
    let stored = api_keys::insert(conn, &new).await?;
    let after = serde_json::json!({"id": stored.id, "name": stored.name, "role": stored.role, "prefix": stored.prefix});
    let entry = audit::NewEntry {
        actor,
        action: "key.create",
        entity_type: "api_key",
        entity_key: &stored.id.to_string(),
        before: None,
        after: Some(after),
    };
    audit::record(conn, &entry).await?;
    Ok((stored, token.token))
}

async fn execute(pool: &crate::db::Pool, cmd: KeysCommand) -> anyhow::Result<ExitCode> {
    let mut conn = pool.get().await?;
    match cmd {
        KeysCommand::Create { name, role } => {
            let (_, token) = create(&mut conn, name.trim(), role, &super::cli_actor()).await?;
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
            if !api_keys::revoke(&mut conn, id).await? {
                eprintln!("error: no active key with id {id}");
                return Ok(ExitCode::from(2));
            }
            let entry = audit::NewEntry {
                actor: &super::cli_actor(),
                action: "key.revoke",
                entity_type: "api_key",
                entity_key: &id.to_string(),
                before: None,
                after: None,
            };
            audit::record(&mut conn, &entry).await?;
            println!("Key {id} revoked.");
        }
    }
    Ok(ExitCode::SUCCESS)
}
