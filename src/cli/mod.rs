//! The `stagelab` command line: one module per subcommand.

pub mod stats;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// stagelab: lifecycle A/B testing.
#[derive(Debug, Parser)]
#[command(name = "stagelab", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Calculators on summary statistics (the same engine as the reports).
    Stats(stats::StatsArgs),
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Stats(args) => stats::run(&args),
    }
}
