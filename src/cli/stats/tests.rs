//! The calculators end to end: from the command line's words to the output or the error.

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

/// Exit code and message, as `cli::main` would produce them (the message without `error: `).
fn outcome(argv: &[&str]) -> (u8, String) {
    match parse(argv).map_err(CliError::usage).and_then(|args| execute(&args)) {
        Ok(out) => (0, out),
        Err(e) => (e.code(), e.to_string()),
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
        (vec!["means", "--control", "10:1:1", "--treatment", "10:2:1", "--sequential", "--tuning", "0"], "--tuning"),
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
    let (code, out) =
        outcome(&["proportions", "--control", "10000:1000", "--treatment", "10000:1100", "--treatment", "9000:880"]);
    assert_eq!(code, 0);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[1].starts_with("variant"));
    // Header and rows have the same width up to the last column.
    assert_eq!(lines[1].len(), lines[3].len(), "{out}");
    assert_eq!(lines[3].len(), lines[4].len(), "{out}");
}
