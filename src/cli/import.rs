//! `stagelab import FILE.jsonl|FILE.csv [--source NAME] [--batch N]`: back-fill event history
//! through the same validation as `POST /api/v1/events`.
//!
//! The whole file is validated first; any problem is reported as `file:line: field: message` and
//! nothing is stored. A valid file is stored in batches, each in its own transaction. Event ids
//! are unique per source, so an interrupted import can simply be run again: what was stored counts
//! as duplicates.

use super::CliError;
use crate::config::Config;
use crate::db::models::{events, stages};
use crate::events::validate_batch;
use clap::Args;
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Arguments of `stagelab import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// A `.jsonl` file (one event object per line) or a `.csv` file with a header row of event
    /// fields (`id,customer_id,type,stage,value,currency,order_id,referred_customer_id,occurred_at`).
    pub file: PathBuf,
    /// The source the event ids belong to: the storefront's key name, so that live events and
    /// imported ones are deduplicated together.
    #[arg(long, default_value = "import")]
    pub source: String,
    /// Events per transaction.
    #[arg(long, default_value_t = 5_000, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub batch: u32,
}

/// Most problems printed.
const MAX_SHOWN: usize = 50;

/// Runs the command.
pub async fn run(config: Config, args: ImportArgs) -> Result<(), CliError> {
    let events = read(&args.file).map_err(CliError::Input)?;
    super::with_database(&config, async |db| import(&db.pool, &args, events).await).await
}

async fn import(pool: &crate::db::Pool, args: &ImportArgs, lines: Vec<(usize, Value)>) -> Result<(), CliError> {
    let mut conn = pool.get().await?;
    let lifecycle = stages::load(&mut conn).await?;
    if lifecycle.stages.is_empty() {
        return Err(CliError::input("no lifecycle yet: run `stagelab apply` first"));
    }
    let raw: Vec<Value> = lines.iter().map(|(_, v)| v.clone()).collect();
    let valid = match validate_batch(&raw, &lifecycle, chrono::Utc::now()) {
        Ok(valid) => valid,
        Err(problems) => {
            for p in problems.iter().take(MAX_SHOWN) {
                let field = if p.field.is_empty() { String::new() } else { format!("{}: ", p.field) };
                eprintln!("{}:{}: {field}{}", args.file.display(), lines[p.index].0, p.message);
            }
            if problems.len() > MAX_SHOWN {
                eprintln!("… and {} more", problems.len() - MAX_SHOWN);
            }
            return Err(CliError::input(format!("{} problem(s); nothing was imported.", problems.len())));
        }
    };
    let started = Instant::now();
    let (mut accepted, mut duplicates) = (0, 0);
    for chunk in valid.chunks(args.batch as usize) {
        let outcome = events::ingest(&mut conn, &args.source, chunk, &lifecycle).await?;
        accepted += outcome.accepted;
        duplicates += outcome.duplicates;
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "Imported {accepted} event(s), {duplicates} duplicate(s), from {} in {seconds:.1} s ({:.0} events/s).",
        args.file.display(),
        valid.len() as f64 / seconds.max(1e-9)
    );
    Ok(())
}

/// The file's events as JSON values, each with its line number.
fn read(path: &Path) -> Result<Vec<(usize, Value)>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    match path.extension().and_then(|e| e.to_str()) {
        Some("jsonl" | "ndjson") => text
            .lines()
            .enumerate()
            .filter(|(_, line)| !line.trim().is_empty())
            .map(|(i, line)| {
                serde_json::from_str(line)
                    .map(|v| (i + 1, v))
                    .map_err(|e| format!("{}:{}: not JSON: {e}", path.display(), i + 1))
            })
            .collect(),
        Some("csv") => read_csv(path, &text),
        _ => Err(format!("{}: use a .jsonl or .csv file", path.display())),
    }
}

/// CSV rows as event objects: empty cells are absent, `value` is a number.
fn read_csv(path: &Path, text: &str) -> Result<Vec<(usize, Value)>, String> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| format!("{}:1: {e}", path.display()))?.clone();
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| format!("{}: {e}", path.display()))?;
        let line = record.position().map(|p| p.line() as usize).unwrap_or(0);
        let mut event = Map::new();
        for (name, cell) in headers.iter().zip(record.iter()) {
            if cell.is_empty() {
                continue;
            }
            let value = match name {
                "value" => cell
                    .parse::<f64>()
                    .ok()
                    .and_then(serde_json::Number::from_f64)
                    .map(Value::Number)
                    .unwrap_or_else(|| Value::String(cell.to_string())),
                _ => Value::String(cell.to_string()),
            };
            event.insert(name.to_string(), value);
        }
        out.push((line, Value::Object(event)));
    }
    Ok(out)
}
