use super::*;
use std::fs;

const LIFECYCLE: &str = include_str!("../../experiments/lifecycle.toml");

const VALID: &str = r#"key = "exp"
name = "Experiment"
stage = "acquisition"
goal = "retention"
window_days = 30
traffic = 0.5
status = "running"

[[variants]]
key = "control"
weight = 1

[[variants]]
key = "treatment"
weight = 1
payload = { discount = 10, when = 2026-01-01T00:00:00Z }
"#;

/// Writes the lifecycle and the given experiment files into a fresh directory.
fn dir_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join(LIFECYCLE_FILE), LIFECYCLE).unwrap();
    for (name, text) in files {
        fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

/// The single error that loading `text` as `exp.toml` gives, as "line: message".
fn error_of(text: &str) -> String {
    let dir = dir_with(&[("exp.toml", text)]);
    let errors = load_dir(dir.path()).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].path, dir.path().join("exp.toml"));
    format!("{}: {}", errors[0].line, errors[0].message)
}

#[test]
fn the_shipped_experiments_directory_is_valid() {
    let desired = load_dir(Path::new("experiments")).unwrap();
    assert_eq!(desired.lifecycle.ids(), "reach, acquisition, nurture, retention, advocacy");
    let keys: Vec<_> = desired.experiments.iter().map(|e| e.def.key.as_str()).collect();
    assert_eq!(keys, ["referral-reward", "second-purchase-coupon", "welcome-offer"]);
}

#[test]
fn a_valid_file_gives_its_definition() {
    let dir = dir_with(&[("exp.toml", VALID)]);
    let desired = load_dir(dir.path()).unwrap();
    let def = &desired.experiments[0].def;
    assert_eq!(def.key, "exp");
    assert_eq!(def.traffic, 0.5);
    assert_eq!(def.status, crate::domain::experiment::Status::Running);
    assert_eq!(def.metrics.primary, "conversion");
    assert_eq!(def.variants[1].payload, serde_json::json!({"discount": 10, "when": "2026-01-01T00:00:00Z"}));
}

#[test]
fn an_unknown_key_names_its_line() {
    let text = VALID.replace("traffic = 0.5", "traffic = 0.5\ncolour = \"red\"");
    let err = error_of(&text);
    assert!(err.starts_with("7: unknown field `colour`"), "{err}");
}

#[test]
fn an_unknown_key_in_a_variant_names_its_line() {
    let text = VALID.replace("key = \"control\"\nweight = 1", "key = \"control\"\nweight = 1\nweigth = 2");
    assert!(error_of(&text).starts_with("12: unknown field `weigth`"), "{}", error_of(&text));
}

#[test]
fn each_validation_rule_reports_file_and_line() {
    let cases: Vec<(String, &str)> = vec![
        (VALID.replace("key = \"exp\"", "key = \"Exp!\""), "1: invalid key"),
        (VALID.replace("name = \"Experiment\"", "name = \"  \""), "2: name must not be empty"),
        (
            VALID.replace("stage = \"acquisition\"", "stage = \"aquisition\""),
            "3: stage \"aquisition\" is not a lifecycle stage",
        ),
        (VALID.replace("goal = \"retention\"", "goal = \"loyalty\""), "4: goal \"loyalty\" is not a lifecycle stage"),
        (VALID.replace("goal = \"retention\"", "goal = \"reach\""), "4: goal \"reach\" must come after"),
        (VALID.replace("window_days = 30", "window_days = 0"), "5: window_days must be between"),
        (VALID.replace("traffic = 0.5", "traffic = 1.5"), "6: traffic is a share"),
        (VALID.replace("status = \"running\"", "status = \"live\""), "7: unknown status"),
        (VALID.replace("key = \"treatment\"", "key = \"control\""), "14: duplicate variant key"),
        (VALID.replace("key = \"treatment\"", "key = \"bad key\""), "14: invalid variant key"),
        (
            VALID.replace("weight = 1\npayload", "weight = -1\npayload"),
            "15: weight of \"treatment\" must be a number ≥ 0",
        ),
        (
            VALID.replace("weight = 1\n", "weight = 0\n").replace("weight = 1\npayload", "weight = 0\npayload"),
            "9: variant weights must add up",
        ),
        (format!("{VALID}\n[metrics]\nprimary = \"clicks\"\n"), "18: unknown metric \"clicks\""),
        (format!("{VALID}\n[stats]\nalpha = 0.9\n"), "18: stats.alpha"),
        (format!("{VALID}\n[stats]\nmethod = \"bayes\"\n"), "18: stats.method"),
        (
            format!("{VALID}\n[targeting]\nattribute = \"country\"\nop = \"like\"\nvalue = \"JP\"\n"),
            "18: targeting: attribute rule on \"country\": unknown op",
        ),
        (format!("{VALID}\n[simulation.variants.nope]\ngoal = 0.1\n"), "18: simulation names variant \"nope\""),
        (
            format!("{VALID}\n[metrics]\nprimary = \"conversion\"\n[[metrics.custom]]\nname = \"x\"\nkind = \"mean\"\nevent = \"purchase\"\ncolour = 1\n"),
            "unknown field `colour`",
        ),
        (format!("{VALID}\n[metrics]\nsecondary = [\"revenue\"]\n"), "18: missing field `primary`"),
        (VALID.replace("traffic = 0.5", "traffic = 0.5\nlayer = \"Bad Layer\""), "7: invalid layer"),
        (VALID.replace("weight = 1\npayload", "weight = \"1\"\npayload"), "15: invalid type"),
        ("key = \"exp\"\nname = ".to_string(), "2: "),
    ];
    for (text, expected) in cases {
        let err = error_of(&text);
        assert!(err.contains(expected), "expected {expected:?} in {err:?}");
    }
}

#[test]
fn variant_count_and_layer_placement() {
    let one = VALID.split("[[variants]]\nkey = \"treatment\"").next().unwrap().to_string();
    assert!(error_of(&one).contains("needs 2 to 20 variants"));
    // A top-level key after a table belongs to the table: TOML's rule, surfaced as an unknown field.
    let misplaced = format!("{VALID}\nlayer = \"onboarding\"\n");
    assert!(error_of(&misplaced).contains("unknown field `layer`"), "{}", error_of(&misplaced));
}

#[test]
fn custom_metrics_are_checked() {
    let with = |custom: &str| {
        format!("{VALID}\n[metrics]\nprimary = \"conversion\"\nsecondary = [\"m\"]\n\n[[metrics.custom]]\n{custom}\n")
    };
    assert!(load_dir(
        dir_with(&[("exp.toml", &with("name = \"m\"\nkind = \"mean\"\nevent = \"purchase\"\naggregate = \"sum\""))])
            .path()
    )
    .is_ok());
    assert!(error_of(&with("name = \"m\"\nkind = \"proportion\"\nevent = \"stage\"")).contains("name the `stage`"));
    assert!(error_of(&with("name = \"m\"\nkind = \"proportion\"\nevent = \"stage\"\nstage = \"loyal\""))
        .contains("not a lifecycle stage"));
    assert!(error_of(&with("name = \"m\"\nkind = \"mean\"\nevent = \"click\"")).contains("unknown event"));
    assert!(error_of(&with("name = \"m\"\nkind = \"mean\"\nevent = \"referral\"\naggregate = \"sum\""))
        .contains("only purchases"));
    let taken = with("name = \"revenue\"\nkind = \"mean\"\nevent = \"purchase\"").replace("secondary = [\"m\"]", "");
    assert!(error_of(&taken).contains("already taken"));
}

#[test]
fn duplicate_keys_across_files_name_both() {
    let dir = dir_with(&[("a.toml", VALID), ("b.toml", VALID)]);
    let errors = load_dir(dir.path()).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].path, dir.path().join("b.toml"));
    assert_eq!(errors[0].line, 1);
    assert!(errors[0].message.contains("duplicate experiment key \"exp\""));
    assert!(errors[0].message.contains("a.toml:1"));
}

#[test]
fn all_problems_of_all_files_are_reported_together() {
    let bad1 = VALID.replace("traffic = 0.5", "traffic = 2");
    let bad2 = VALID.replace("key = \"exp\"", "key = \"exp2\"").replace("window_days = 30", "window_days = -1");
    let dir = dir_with(&[("a.toml", &bad1), ("b.toml", &bad2)]);
    let errors = load_dir(dir.path()).unwrap_err();
    let shown: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    assert_eq!(errors.len(), 2, "{shown:?}");
    assert!(shown[0].ends_with("a.toml:6: traffic is a share between 0 and 1, not 2"), "{shown:?}");
    assert!(shown[1].contains("b.toml:5: window_days"), "{shown:?}");
}

#[test]
fn lifecycle_problems() {
    let dir = tempfile::tempdir().unwrap();
    let errors = load_dir(dir.path()).unwrap_err();
    assert!(errors[0].to_string().contains("lifecycle.toml: cannot read"), "{errors:?}");

    let cases = [
        ("[[stages]]\nid = \"a\"\nname = \"A\"\n", "1: a lifecycle needs at least two stages"),
        ("[[stages]]\nid = \"a\"\nname = \"A\"\n[[stages]]\nid = \"a\"\nname = \"B\"\n", "5: duplicate stage id"),
        ("[[stages]]\nid = \"A\"\nname = \"A\"\n[[stages]]\nid = \"b\"\nname = \"B\"\n", "2: invalid stage id"),
        ("[[stages]]\nid = \"a\"\nname = \"\"\n[[stages]]\nid = \"b\"\nname = \"B\"\n", "a\" needs a name"),
        ("[[stages]]\nid = \"a\"\nname = \"A\"\nlabel = \"x\"\n", "4: unknown field `label`"),
    ];
    for (text, expected) in cases {
        fs::write(dir.path().join(LIFECYCLE_FILE), text).unwrap();
        let errors = load_dir(dir.path()).unwrap_err();
        let shown = format!("{}: {}", errors[0].line, errors[0].message);
        assert!(shown.contains(expected), "expected {expected:?} in {shown:?}");
    }
}

#[test]
fn exported_files_parse_back_to_the_same_definitions() {
    let desired = super::load_dir(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments")).unwrap();
    for e in &desired.experiments {
        let text = super::to_toml(&e.def).unwrap();
        let back = super::parse_experiment(&text, &desired.lifecycle).unwrap_or_else(|e| panic!("{e:?}\n{text}"));
        assert_eq!(back, e.def, "{text}");
    }
}

/// `VALID` with `status = "running"` replaced and `extra` lines added before the variants.
fn with(status: &str, extra: &str) -> String {
    VALID.replace("status = \"running\"", &format!("status = \"{status}\"\n{extra}"))
}

#[test]
fn ship_names_a_variant_of_a_stopped_experiment() {
    use crate::domain::experiment::Status;
    let dir = dir_with(&[("exp.toml", &with("stopped", "ship = \"treatment\""))]);
    let def = &load_dir(dir.path()).unwrap().experiments[0].def;
    assert_eq!((def.status, def.ship.as_deref()), (Status::Shipped, Some("treatment")));
    assert!(error_of(&with("running", "ship = \"treatment\"")).starts_with("8: ship: only a stopped experiment"));
    assert!(
        error_of(&with("stopped", "ship = \"nope\"")).contains("no variant \"nope\" (variants: control, treatment)")
    );
    assert!(error_of(&with("shipped", "")).starts_with("7: status \"shipped\" needs `ship"));
}

#[test]
fn schedules_take_rfc3339_times_in_order() {
    let text = with(
        "draft",
        "start_at = 2030-01-01T09:00:00+09:00\nstop_at = \"2030-02-01T00:00:00Z\"\nstop_on_sample = true",
    );
    let dir = dir_with(&[("exp.toml", &text)]);
    let s = load_dir(dir.path()).unwrap().experiments[0].def.schedule;
    assert_eq!(s.start_at.unwrap().to_rfc3339(), "2030-01-01T00:00:00+00:00");
    assert_eq!(s.stop_at.unwrap().to_rfc3339(), "2030-02-01T00:00:00+00:00");
    assert!(s.stop_on_sample);
    let backwards = with("draft", "start_at = 2030-02-01T00:00:00Z\nstop_at = 2030-01-01T00:00:00Z");
    assert!(error_of(&backwards).starts_with("9: stop_at: 2030-01-01T00:00:00+00:00 must come after start_at"));
    let local = with("draft", "start_at = 2030-02-01T00:00:00");
    assert!(error_of(&local).contains("start_at must be an RFC 3339 time with an offset"), "{}", error_of(&local));
    let action =
        with("running", "").replacen("[[variants]]", "[stats]\nguardrail_action = \"explode\"\n\n[[variants]]", 1);
    assert!(error_of(&action).contains("explode"), "{}", error_of(&action));
}
