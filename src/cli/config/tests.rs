//! The configuration assembled from command lines.

use crate::cli::Cli;
use crate::cli::CliError;
use crate::config::{Config, DatabaseConfig, DatabaseUrl, Tunables};
use clap::Parser;

const URL: &str = "postgres://u:hunter2@h/db";

fn config(args: &[&str]) -> Config {
    let argv = ["stagelab", "--database-url", URL].iter().chain(args);
    Cli::try_parse_from(argv).unwrap_or_else(|e| panic!("{e}")).config()
}

/// Settings from the environment would change the defaults under test.
fn environment_is_clean() -> bool {
    let clean = !std::env::vars().any(|(k, _)| k.starts_with("STAGELAB_"));
    if !clean {
        eprintln!("skipped: STAGELAB_* variables are set");
    }
    clean
}

#[test]
fn debug_output_never_shows_the_password() {
    let config = Config::for_database_url(URL);
    assert_eq!(config.database, DatabaseConfig::Url(DatabaseUrl::from(URL.to_string())));
    assert!(!format!("{config:?}").contains("hunter2"), "{config:?}");
    assert!(!format!("{config:#?}").contains("hunter2"));
    let cli = Cli::try_parse_from(["stagelab", "--database-url", URL, "migrate"]).unwrap();
    assert!(!format!("{cli:?}").contains("hunter2"), "{cli:?}");
    assert_eq!(cli.config().database, config.database);
}

#[test]
fn flags_and_the_test_constructor_share_their_defaults() {
    if !environment_is_clean() {
        return;
    }
    assert_eq!(config(&["serve"]), Config::for_database_url(URL));
    assert_eq!(config(&["keys", "list"]), Config::for_database_url(URL));
    assert_eq!(Config::for_database_url(URL).tunables, Tunables::default());
}

#[test]
fn serve_adds_its_own_settings_and_tunables() {
    let c = config(&[
        "serve",
        "--bind",
        "0.0.0.0:9000",
        "--workers",
        "3",
        "--no-migrate",
        "--assign-queue",
        "500",
        "--known-customers",
        "1000",
        "--lookup-connections",
        "4",
        "--key-misses-per-second",
        "7",
        "--report-slots",
        "5",
        "--watch-ms",
        "250",
        "--webhook-retry-ms",
        "40",
    ]);
    assert_eq!(c.bind, "0.0.0.0:9000".parse().unwrap());
    assert_eq!((c.workers, c.migrate), (Some(3), false));
    let expected = Tunables {
        assign_queue: 500,
        known_customers: 1000,
        lookup_connections: 4,
        key_misses_per_second: 7,
        report_slots: 5,
        watch_ms: 250,
        webhook_retry_ms: 40,
    };
    assert_eq!(c.tunables, expected);
    assert_eq!(config(&["--db-pool-size", "4", "report", "x"]).db_pool_size, 4);
}

#[test]
fn migrate_runs_migrations_itself_and_an_empty_url_means_embedded() {
    assert!(!config(&["migrate"]).migrate);
    assert!(config(&["apply"]).migrate);
    let cli = Cli::try_parse_from(["stagelab", "--database-url", " ", "--data-dir", "/tmp/x", "migrate"]).unwrap();
    let expected = DatabaseConfig::Embedded { data_dir: "/tmp/x".into(), bin_dir: None };
    assert_eq!(cli.config().database, expected);
}

#[test]
fn tunables_out_of_range_are_usage_errors_naming_the_flag() {
    for (flag, value) in [
        ("--assign-queue", "0"),
        ("--assign-queue", "1000001"),
        ("--known-customers", "0"),
        ("--lookup-connections", "65"),
        ("--key-misses-per-second", "0"),
        ("--report-slots", "many"),
        ("--watch-ms", "99"),
        ("--webhook-retry-ms", "10001"),
    ] {
        let parsed = Cli::try_parse_from(["stagelab", "serve", flag, value]);
        let e = CliError::usage(parsed.expect_err(flag));
        assert_eq!(e.code(), 2, "{flag} {value}: {e}");
        assert!(e.to_string().starts_with(&format!("invalid {flag} '{value}'")), "{e}");
    }
}
