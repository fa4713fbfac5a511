//! `stagelab users create EMAIL --role admin|editor|viewer`.

use crate::config::Config;
use crate::domain::password::{self, UserRole};
use clap::Subcommand;
use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

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
pub async fn run(config: Config, cmd: UsersCommand) -> ExitCode {
    let UsersCommand::Create { email, role } = cmd;
    let email = match password::normalize_email(&email) {
        Ok(email) => email,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let (password, generated) = match read_password() {
        Ok(Some(p)) => (p, false),
        Ok(None) => (password::generate(), true),
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let hash = match password::hash(&password) {
        Ok(hash) => hash,
        Err(e) => {
            eprintln!("error: cannot hash the password: {e}");
            return ExitCode::FAILURE;
        }
    };
    let db = match super::connect(&config).await {
        Ok(db) => db,
        Err(code) => return code,
    };
    let result = create(&db.pool, &email, role, &hash).await;
    db.close().await;
    match result {
        Ok(true) => {
            if generated {
                println!("Created {role} {email} with password: {password}");
            } else {
                println!("Created {role} {email}.");
            }
            ExitCode::SUCCESS
        }
        Ok(false) => {
            eprintln!("error: a user with e-mail {email} already exists");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
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
async fn create(pool: &crate::db::Pool, email: &str, role: UserRole, hash: &str) -> anyhow::Result<bool> {
    let mut conn = pool.get().await?;
    Ok(crate::users::create(&mut conn, email, role, hash, &super::cli_actor()).await?)
}
