//! `stagelab apply [DIR] [--dry-run] [--force]`: sync experiment files into the database.

use super::CliError;
use crate::apply::plan::{Action, Plan};
use crate::apply::{self, ApplyError};
use crate::config::Config;
use clap::Args;
use std::io::Write;
use std::path::PathBuf;

/// Arguments of `stagelab apply`.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// Directory of experiment files.
    #[arg(default_value = "experiments")]
    pub dir: PathBuf,
    /// Print the plan without writing anything.
    #[arg(long)]
    pub dry_run: bool,
    /// Change the holdout share even while experiments run or are shipped (customers move in and
    /// out of the holdout under them).
    #[arg(long)]
    pub force: bool,
}

/// Runs the command. Invalid files are listed one problem a line before the error.
pub async fn run(config: Config, args: ApplyArgs) -> Result<(), CliError> {
    let actor = super::cli_actor();
    let result = super::with_database(&config, async |db| {
        Ok(apply::run_forced(&db.pool, &args.dir, args.dry_run, args.force, &actor).await)
    })
    .await?;
    match result {
        Ok(plan) => {
            // The plan is applied by now: a closed stdout does not make the command fail.
            let _ = print_plan(&mut std::io::stdout().lock(), &plan, args.dry_run);
            Ok(())
        }
        Err(ApplyError::Invalid(errors)) => {
            for e in &errors {
                eprintln!("{e}");
            }
            Err(CliError::input(format!("{} problem(s); nothing was applied.", errors.len())))
        }
        Err(e) => Err(CliError::Failure(anyhow::anyhow!("{e}; nothing was applied."))),
    }
}

/// Prints a plan: one line per experiment, the changed fields of updates, and a summary.
pub fn print_plan(out: &mut impl Write, plan: &Plan, dry_run: bool) -> std::io::Result<()> {
    let stages: Vec<&str> = plan.lifecycle.stages.iter().map(|s| s.id.as_str()).collect();
    writeln!(out, "lifecycle   {:<10} {}", plan.lifecycle_action.label(), stages.join(" → "))?;
    let width = plan.experiments.iter().map(|e| e.def.key.len()).max().unwrap_or(0);
    for item in &plan.experiments {
        writeln!(out, "experiment  {:<10} {:<width$}  {}", item.action.label(), item.def.key, item.path.display())?;
        if let Action::Update(fields) = &item.action {
            writeln!(out, "              changes: {}", fields.join(", "))?;
        }
    }
    let (create, update, unchanged) = plan.counts();
    writeln!(out, "Plan: {create} to create, {update} to update, {unchanged} unchanged.")?;
    if dry_run {
        writeln!(out, "Dry run: nothing was written.")
    } else if plan.has_changes() {
        writeln!(out, "Applied.")
    } else {
        writeln!(out, "Nothing to do.")
    }
}
