//! `stagelab stats …`: calculators on summary statistics, with the same engine
//! ([`crate::stats`]) as the reports.
//!
//! Every input is validated here before it reaches the engine: a bad value
//! gives one line on stderr naming it and exit code 2 (clap's own usage errors
//! exit 2 as well).

use crate::stats::{
    adjust, analyze, sample_size, srm, Alpha, Analysis, Correction, Mde, Mean, Options, Proportion, StatsError,
    Summary, Tuning,
};
use clap::{Args, Subcommand, ValueEnum};
use std::fmt::Write as _;
use std::process::ExitCode;

/// Arguments of `stagelab stats`.
#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Which calculator to run.
    #[command(subcommand)]
    pub command: StatsCommand,
}

/// The calculators.
#[derive(Debug, Subcommand)]
pub enum StatsCommand {
    /// Compare conversion rates: control against one or more treatments.
    Proportions(ProportionsArgs),
    /// Compare means given as N:MEAN:SD (SD with the n − 1 denominator).
    Means(MeansArgs),
    /// Sample-ratio-mismatch check of observed units against planned weights.
    Srm(SrmArgs),
    /// Units per variant needed to detect an effect on a conversion rate.
    SampleSize(SampleSizeArgs),
    /// Adjust p-values for multiple comparisons.
    Adjust(AdjustArgs),
}

/// Options shared by `proportions` and `means`.
#[derive(Debug, Args)]
pub struct TestArgs {
    /// Always-valid (sequential) intervals and p-values.
    #[arg(long)]
    pub sequential: bool,
    /// Tuning parameter of the confidence sequence (sample size where it is tightest).
    #[arg(long, default_value_t = 5000.0, requires = "sequential", allow_hyphen_values = true)]
    pub tuning: f64,
    /// Significance level, in (0, 1).
    #[arg(long, default_value_t = 0.05, allow_hyphen_values = true)]
    pub alpha: f64,
    /// Print exactly one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `stagelab stats proportions`.
#[derive(Debug, Args)]
pub struct ProportionsArgs {
    /// Control as N:CONVERSIONS.
    #[arg(long, allow_hyphen_values = true)]
    pub control: String,
    /// A treatment as N:CONVERSIONS (repeat for several).
    #[arg(long, required = true, allow_hyphen_values = true)]
    pub treatment: Vec<String>,
    #[command(flatten)]
    pub test: TestArgs,
}

/// `stagelab stats means`.
#[derive(Debug, Args)]
pub struct MeansArgs {
    /// Control as N:MEAN:SD.
    #[arg(long, allow_hyphen_values = true)]
    pub control: String,
    /// A treatment as N:MEAN:SD (repeat for several).
    #[arg(long, required = true, allow_hyphen_values = true)]
    pub treatment: Vec<String>,
    #[command(flatten)]
    pub test: TestArgs,
}

/// `stagelab stats srm`.
#[derive(Debug, Args)]
pub struct SrmArgs {
    /// Observed units per variant, comma-separated (control first).
    #[arg(long, allow_hyphen_values = true)]
    pub observed: String,
    /// Planned weights, comma-separated; equal when omitted.
    #[arg(long, allow_hyphen_values = true)]
    pub weights: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `stagelab stats sample-size`.
#[derive(Debug, Args)]
pub struct SampleSizeArgs {
    /// Baseline conversion rate, in (0, 1).
    #[arg(long, allow_hyphen_values = true)]
    pub baseline: f64,
    /// Minimum detectable effect (absolute rate points unless --relative).
    #[arg(long, allow_hyphen_values = true)]
    pub mde: f64,
    /// Read --mde as relative to the baseline (0.1 = +10 %).
    #[arg(long)]
    pub relative: bool,
    /// Power, in (0, 1).
    #[arg(long, default_value_t = 0.8, allow_hyphen_values = true)]
    pub power: f64,
    /// Number of variants, control included.
    #[arg(long, default_value_t = 2)]
    pub variants: u32,
    /// Significance level, in (0, 1).
    #[arg(long, default_value_t = 0.05, allow_hyphen_values = true)]
    pub alpha: f64,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Correction methods on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Method {
    /// Holm (family-wise error rate).
    Holm,
    /// Benjamini–Hochberg (false discovery rate).
    Bh,
}

/// `stagelab stats adjust`.
#[derive(Debug, Args)]
pub struct AdjustArgs {
    /// Correction method.
    #[arg(long, value_enum)]
    pub method: Method,
    /// Raw p-values, comma-separated.
    #[arg(long, allow_hyphen_values = true)]
    pub p: String,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// A bad value on the command line, as the one line printed on stderr.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError(String);

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn bad(flag: &str, value: &str, why: impl std::fmt::Display) -> InputError {
    InputError(format!("invalid {flag} '{value}': {why}"))
}

/// Runs `stagelab stats`.
pub fn run(args: &StatsArgs) -> ExitCode {
    match execute(args) {
        Ok(out) => {
            println!("{out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("stagelab stats: {e}");
            ExitCode::from(2)
        }
    }
}

/// Computes the output of a calculator (without printing it), or the input error.
pub fn execute(args: &StatsArgs) -> Result<String, InputError> {
    match &args.command {
        StatsCommand::Proportions(a) => {
            let parse = |flag: &str, s: &str| parse_proportion(s).map_err(|e| bad(flag, s, e));
            let control = parse("--control", &a.control)?;
            let treatments = a.treatment.iter().map(|t| parse("--treatment", t)).collect::<Result<Vec<_>, _>>()?;
            comparison(control, &treatments, &a.test, 6)
        }
        StatsCommand::Means(a) => {
            let parse = |flag: &str, s: &str| parse_mean(s).map_err(|e| bad(flag, s, e));
            let control = parse("--control", &a.control)?;
            let treatments = a.treatment.iter().map(|t| parse("--treatment", t)).collect::<Result<Vec<_>, _>>()?;
            comparison(control, &treatments, &a.test, 4)
        }
        StatsCommand::Srm(a) => {
            let observed = parse_list(&a.observed, |s| {
                s.parse::<u64>().map_err(|_| "counts must be non-negative integers".to_string())
            })
            .map_err(|e| bad("--observed", &a.observed, e))?;
            let weights = match &a.weights {
                Some(w) => Some(parse_list(w, parse_f64).map_err(|e| bad("--weights", w, e))?),
                None => None,
            };
            let r = srm(&observed, weights.as_deref()).map_err(|e| match (&e, &a.weights) {
                (StatsError::TooFew { .. }, _) | (_, None) => bad("--observed", &a.observed, e),
                (_, Some(w)) => bad("--weights", w, e),
            })?;
            if a.json {
                return to_json(&r);
            }
            Ok(format!(
                "chi-square  {:.4}\np-value     {}\nmismatch    {}",
                r.chi_square,
                fmt_p(r.p_value),
                if r.mismatch { "YES (p < 0.001): check assignment and logging" } else { "no" }
            ))
        }
        StatsCommand::SampleSize(a) => {
            let alpha = alpha(a.alpha)?;
            let mde = if a.relative { Mde::Relative(a.mde) } else { Mde::Absolute(a.mde) };
            let s = sample_size(a.baseline, mde, alpha, a.power, a.variants).map_err(|e| {
                let (flag, value) = match &e {
                    StatsError::OutOfRange { what: "baseline", .. } => ("--baseline", a.baseline),
                    StatsError::OutOfRange { what: "power", .. } => ("--power", a.power),
                    StatsError::TooFew { .. } => ("--variants", f64::from(a.variants)),
                    _ => ("--mde", a.mde),
                };
                bad(flag, &value.to_string(), e)
            })?;
            if a.json {
                return to_json(&s);
            }
            Ok(format!("per variant  {}\ntotal        {}", s.per_variant, s.total))
        }
        StatsCommand::Adjust(a) => {
            let p = parse_list(&a.p, parse_f64).map_err(|e| bad("--p", &a.p, e))?;
            let method = match a.method {
                Method::Holm => Correction::Holm,
                Method::Bh => Correction::BenjaminiHochberg,
            };
            let adjusted = adjust(&p, method).map_err(|e| bad("--p", &a.p, e))?;
            if a.json {
                return to_json(&serde_json::json!({ "adjusted": adjusted }));
            }
            let mut out = format!("{:>12}  {:>12}", "raw", "adjusted");
            for (r, q) in p.iter().zip(&adjusted) {
                let _ = write!(out, "\n{:>12}  {:>12}", fmt_p(*r), fmt_p(*q));
            }
            Ok(out)
        }
    }
}

fn alpha(a: f64) -> Result<Alpha, InputError> {
    Alpha::new(a).map_err(|e| bad("--alpha", &a.to_string(), e))
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String, InputError> {
    // Serialising plain result structs cannot fail; map it anyway rather than panic.
    serde_json::to_string(v).map_err(|e| InputError(format!("cannot serialise result: {e}")))
}

fn parse_f64(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(format!("'{}' is not a finite number", s.trim())),
    }
}

fn parse_list<T>(s: &str, item: impl Fn(&str) -> Result<T, String>) -> Result<Vec<T>, String> {
    s.split(',').map(|x| item(x.trim())).collect()
}

fn parse_n(s: &str) -> Result<u64, String> {
    s.trim().parse::<u64>().map_err(|_| format!("n '{}' must be a non-negative integer", s.trim()))
}

fn parse_proportion(s: &str) -> Result<Summary, String> {
    let parts: Vec<&str> = s.split(':').collect();
    let [n, c] = parts.as_slice() else {
        return Err("expected N:CONVERSIONS".into());
    };
    let n = parse_n(n)?;
    let c =
        c.trim().parse::<u64>().map_err(|_| format!("conversions '{}' must be a non-negative integer", c.trim()))?;
    Proportion::new(n, c).map(Summary::from).map_err(|e| e.to_string())
}

fn parse_mean(s: &str) -> Result<Summary, String> {
    let parts: Vec<&str> = s.split(':').collect();
    let [n, mean, sd] = parts.as_slice() else {
        return Err("expected N:MEAN:SD".into());
    };
    let n = parse_n(n)?;
    let mean = parse_f64(mean)?;
    let sd = parse_f64(sd)?;
    Mean::from_mean_sd(n, mean, sd).map(Summary::from).map_err(|e| e.to_string())
}

fn comparison(control: Summary, treatments: &[Summary], t: &TestArgs, decimals: usize) -> Result<String, InputError> {
    let tuning = if t.sequential {
        Some(Tuning::new(t.tuning).map_err(|e| bad("--tuning", &t.tuning.to_string(), e))?)
    } else {
        None
    };
    let opts = Options { alpha: alpha(t.alpha)?, sequential: tuning, ..Options::default() };
    // Inputs are parsed into one kind per subcommand, so the engine cannot
    // reject them; report rather than panic should that ever change.
    let analysis = analyze(&control, treatments, &opts).map_err(|e| InputError(e.to_string()))?;
    if t.json {
        to_json(&analysis)
    } else {
        Ok(table(&analysis, decimals))
    }
}

fn fmt_p(p: f64) -> String {
    if p < 1e-16 {
        // Below double precision near 1; more digits would be noise.
        "<1e-16".to_string()
    } else if p < 1e-4 {
        format!("{p:.1e}")
    } else {
        format!("{p:.4}")
    }
}

fn table(a: &Analysis, d: usize) -> String {
    let level = format!("{}%", ((1.0 - a.alpha.get()) * 100.0 * 1e6).round() / 1e6);
    let mut out = format!(
        "alpha {} ({} intervals{})\n",
        a.alpha.get(),
        level,
        if a.sequential { ", sequential: valid at any peek" } else { ", fixed horizon" }
    );
    let ci_head = format!("{level} CI");
    let _ = writeln!(
        out,
        "{:<13} {:>10} {:>12} {:>12} {:>27} {:>9} {:>9} {:>21} {:>9} {:>8}",
        "variant", "n", "mean", "abs lift", ci_head, "p-value", "rel lift", ci_head, "p-value", "P(beat)"
    );
    let _ = writeln!(out, "{:<13} {:>10} {:>12.d$}", "control", a.control.n, a.control.mean);
    let mut notes = Vec::new();
    for (i, t) in a.treatments.iter().enumerate() {
        let name = format!("treatment {}", i + 1);
        let (abs, abs_ci, abs_p) = match &t.absolute {
            Some(e) => (
                format!("{:+.d$}", e.estimate),
                format!("[{:+.d$}, {:+.d$}]", e.ci.lower(), e.ci.upper()),
                fmt_p(e.p_value),
            ),
            None => ("-".into(), "-".into(), "-".into()),
        };
        let (rel, rel_ci, rel_p) = match &t.relative {
            Some(e) => (
                format!("{:+.2}%", e.estimate * 100.0),
                format!("[{:+.2}%, {:+.2}%]", e.ci.lower() * 100.0, e.ci.upper() * 100.0),
                fmt_p(e.p_value),
            ),
            None => ("-".into(), "-".into(), "-".into()),
        };
        let beat = t.chance_to_beat_control.map_or_else(|| "-".to_string(), |c| format!("{:.1}%", c * 100.0));
        let _ = writeln!(
            out,
            "{name:<13} {:>10} {:>12.d$} {abs:>12} {abs_ci:>27} {abs_p:>9} {rel:>9} {rel_ci:>21} {rel_p:>9} {beat:>8}",
            t.n, t.mean
        );
        for (what, reason) in [
            ("absolute lift", t.absolute_reason),
            ("relative lift", t.relative_reason),
            ("chance to beat", t.bayesian_reason),
        ] {
            if let Some(r) = reason {
                notes.push(format!("{name}: {what} undefined: {r}"));
            }
        }
        if let Some(p) = t.fisher_p_value {
            notes.push(format!("{name}: small counts, Fisher's exact p-value {}", fmt_p(p)));
        }
    }
    for n in notes {
        let _ = writeln!(out, "{n}");
    }
    out.trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use serde_json::Value;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        args: StatsArgs,
    }

    fn parse(argv: &[&str]) -> Result<StatsArgs, clap::Error> {
        Cli::try_parse_from(std::iter::once("stats").chain(argv.iter().copied())).map(|c| c.args)
    }

    /// Exit code and output, as `run` would produce them.
    fn outcome(argv: &[&str]) -> (u8, String) {
        match parse(argv) {
            Err(e) => (e.exit_code() as u8, e.to_string()),
            Ok(args) => match execute(&args) {
                Ok(out) => (0, out),
                Err(e) => (2, e.to_string()),
            },
        }
    }

    fn json(argv: &[&str]) -> Value {
        let (code, out) = outcome(argv);
        assert_eq!(code, 0, "{out}");
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
    }

    #[test]
    fn proportions_json_has_required_fields() {
        let v = json(&["proportions", "--control", "10000:1000", "--treatment", "10000:1100", "--json"]);
        assert_eq!(v["alpha"], 0.05);
        assert_eq!(v["sequential"], false);
        assert_eq!(v["control"]["n"], 10000);
        assert!((v["control"]["mean"].as_f64().unwrap() - 0.1).abs() < 1e-12);
        let t = &v["treatments"][0];
        assert_eq!(t["n"], 10000);
        assert!((t["absolute"]["p_value"].as_f64().unwrap() - 0.0211).abs() < 1e-4);
        assert!((t["relative"]["ci"][0].as_f64().unwrap() - 0.0109).abs() < 1e-4);
        assert!((t["chance_to_beat_control"].as_f64().unwrap() - 0.986).abs() < 1e-3);
    }

    #[test]
    fn several_treatments_sequential_and_alpha() {
        let v = json(&[
            "proportions",
            "--control",
            "5000:500",
            "--treatment",
            "5000:560",
            "--treatment",
            "4800:470",
            "--sequential",
            "--tuning",
            "1000",
            "--alpha",
            "0.1",
            "--json",
        ]);
        assert_eq!(v["sequential"], true);
        assert_eq!(v["alpha"], 0.1);
        assert_eq!(v["treatments"].as_array().map(Vec::len), Some(2));
        // --tuning without --sequential is a usage error.
        let (code, _) = outcome(&["proportions", "--control", "5:1", "--treatment", "5:2", "--tuning", "9"]);
        assert_eq!(code, 2);
    }

    #[test]
    fn means_json_and_table() {
        let v = json(&["means", "--control", "1000:5.2:3.1", "--treatment", "1000:5.5:3.3", "--json"]);
        assert!(v["treatments"][0]["absolute"]["estimate"].as_f64().unwrap() > 0.29);
        let (code, out) = outcome(&["means", "--control", "300:0:1", "--treatment", "300:0.2:1.1"]);
        assert_eq!(code, 0);
        assert!(out.contains("treatment 1") && out.contains("control mean is 0"), "{out}");
    }

    #[test]
    fn bad_comparison_inputs_exit_2_naming_the_value() {
        for (argv, needle) in [
            (vec!["proportions", "--control", "10:20", "--treatment", "10:2"], "10:20"),
            (vec!["proportions", "--control", "-5:1", "--treatment", "10:2"], "-5:1"),
            (vec!["proportions", "--control", "10", "--treatment", "10:2"], "N:CONVERSIONS"),
            (vec!["proportions", "--control", "10:x", "--treatment", "10:2"], "10:x"),
            (vec!["proportions", "--control", "10:1", "--treatment", "10:2", "--alpha", "1.5"], "--alpha"),
            (vec!["proportions", "--control", "10:1", "--treatment", "10:2", "--alpha", "0"], "--alpha"),
            (vec!["means", "--control", "10:1:-2", "--treatment", "10:2:1"], "10:1:-2"),
            (vec!["means", "--control", "10:1", "--treatment", "10:2:1"], "N:MEAN:SD"),
            (
                vec!["means", "--control", "10:1:1", "--treatment", "10:2:1", "--sequential", "--tuning", "0"],
                "--tuning",
            ),
        ] {
            let (code, msg) = outcome(&argv);
            assert_eq!(code, 2, "{argv:?}: {msg}");
            assert!(msg.contains(needle), "{argv:?}: {msg}");
            assert_eq!(msg.lines().count(), 1, "{msg}");
        }
    }

    #[test]
    fn srm_contract() {
        let v = json(&["srm", "--observed", "5000,5200", "--weights", "0.5,0.5", "--json"]);
        assert!(v["p_value"].is_number() && v["chi_square"].is_number());
        assert_eq!(v["mismatch"], false);
        let skewed = json(&["srm", "--observed", "5000,5600", "--json"]);
        assert_eq!(skewed["mismatch"], true);
        for argv in [
            vec!["srm", "--observed", "5000,5200", "--weights", "0.5", "--json"],
            vec!["srm", "--observed", "5000,5200", "--weights", "0,0", "--json"],
            vec!["srm", "--observed", "5000,5200", "--weights", "-1,2", "--json"],
            vec!["srm", "--observed", "5000,-3", "--json"],
            vec!["srm", "--observed", "5000", "--json"],
        ] {
            let (code, msg) = outcome(&argv);
            assert_eq!(code, 2, "{argv:?}: {msg}");
            assert!(msg.starts_with("invalid --"), "{msg}");
        }
    }

    #[test]
    fn sample_size_contract() {
        let v = json(&["sample-size", "--baseline", "0.10", "--mde", "0.01", "--json"]);
        assert_eq!(v["per_variant"], 14749);
        assert_eq!(v["total"], 29498);
        let r = json(&[
            "sample-size",
            "--baseline",
            "0.10",
            "--mde",
            "0.1",
            "--relative",
            "--power",
            "0.9",
            "--variants",
            "3",
            "--json",
        ]);
        assert_eq!(r["total"].as_u64(), r["per_variant"].as_u64().map(|n| n * 3));
        for (argv, flag) in [
            (vec!["sample-size", "--baseline", "0.1", "--mde", "0.01", "--power", "1.2"], "--power"),
            (vec!["sample-size", "--baseline", "1.1", "--mde", "0.01"], "--baseline"),
            (vec!["sample-size", "--baseline", "0.1", "--mde", "0.01", "--alpha", "-0.1"], "--alpha"),
            (vec!["sample-size", "--baseline", "0.1", "--mde", "0"], "--mde"),
        ] {
            let (code, msg) = outcome(&argv);
            assert_eq!(code, 2, "{argv:?}: {msg}");
            assert!(msg.contains(flag), "{msg}");
        }
    }

    #[test]
    fn adjust_contract() {
        let v = json(&["adjust", "--method", "holm", "--p", "0.01,0.04,0.03", "--json"]);
        let adj: Vec<f64> = v["adjusted"].as_array().unwrap().iter().filter_map(Value::as_f64).collect();
        assert_eq!(adj.len(), 3);
        assert!((adj[0] - 0.03).abs() < 1e-12);
        let bh = json(&["adjust", "--method", "bh", "--p", "0.01,0.04,0.03", "--json"]);
        assert!((bh["adjusted"][2].as_f64().unwrap() - 0.04).abs() < 1e-12);
        let (code, msg) = outcome(&["adjust", "--method", "holm", "--p", "0.01,1.5", "--json"]);
        assert_eq!(code, 2);
        assert!(msg.contains("1.5"), "{msg}");
        let (code, _) = outcome(&["adjust", "--method", "bonferroni", "--p", "0.01"]);
        assert_eq!(code, 2);
        let (code, msg) = outcome(&["adjust", "--method", "bh", "--p", "0.01,abc"]);
        assert_eq!(code, 2);
        assert!(msg.contains("abc"), "{msg}");
    }

    #[test]
    fn table_is_aligned() {
        let (code, out) = outcome(&[
            "proportions",
            "--control",
            "10000:1000",
            "--treatment",
            "10000:1100",
            "--treatment",
            "9000:880",
        ]);
        assert_eq!(code, 0);
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines[1].starts_with("variant"));
        // Header and rows have the same width up to the last column.
        assert_eq!(lines[1].len(), lines[3].len(), "{out}");
        assert_eq!(lines[3].len(), lines[4].len(), "{out}");
    }
}
