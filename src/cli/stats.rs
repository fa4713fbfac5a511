//! `stagelab stats …`: calculators on summary statistics. (Placeholder: the statistics issue fills it in.)

use clap::Args;
use std::process::ExitCode;

/// Arguments of `stagelab stats`.
#[derive(Debug, Args)]
pub struct StatsArgs {}

/// Runs `stagelab stats`.
pub fn run(_args: &StatsArgs) -> ExitCode {
    eprintln!("stagelab stats: not implemented yet");
    ExitCode::from(2)
}
