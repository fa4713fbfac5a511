//! `stagelab users create EMAIL --role admin|editor|viewer`.

use super::CliError;
use crate::config::Config;
use crate::domain::password::{self, UserRole};
use clap::Subcommand;
use std::io::{BufRead, IsTerminal};

/// `stagelab users …`.
#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Create a user. The password is read from stdin when it is piped in; otherwise (a terminal,
    /// or empty input) a strong one is generated and printed.
    Create {
        /// E-mail address (the login).
        email: String,
        /// What the user may do.
        #[arg(long, value_enum)]
        role: UserRole,
    },
}

/// Runs the command.
pub async fn run(config: Config, cmd: UsersCommand) -> Result<(), CliError> {
    let UsersCommand::Create { email, role } = cmd;
    let email = password::normalize_email(&email).map_err(CliError::Input)?;
    let (password, generated) = match read_password().map_err(CliError::Input)? {
        Some(p) => (p, false),
        None => (password::generate(), true),
    };
    let hash = password::hash(&password).map_err(|e| anyhow::anyhow!("cannot hash the password: {e}"))?;
    let created = super::with_database(&config, async |db| create(&db.pool, &email, role, &hash).await).await?;
    if !created {
        return Err(CliError::input(format!("a user with e-mail {email} already exists")));
    }
    if generated {
        println!("Created {role} {email} with password: {password}");
    } else {
        println!("Created {role} {email}.");
    }
    Ok(())
}

/// The piped-in password (first line), `None` for a terminal or empty input.
fn read_password() -> Result<Option<String>, String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return Ok(None);
    }
    let mut line = String::new();
    stdin.lock().read_line(&mut line).map_err(|e| format!("cannot read the password from stdin: {e}"))?;
    let line = line.trim_end_matches(['\r', '\n']).to_string();
    if line.is_empty() {
        return Ok(None);
    }
    password::validate(&line)?;
    Ok(Some(line))
}

/// Stores the user; `false` when the e-mail is taken.
async fn create(pool: &crate::db::Pool, email: &str, role: UserRole, hash: &str) -> Result<bool, CliError> {
    let mut conn = pool.get().await?;
    Ok(crate::users::create(&mut conn, email, role, hash, &super::cli_actor()).await?)
}
