use super::*;
use serde_json::json;

fn rule(v: Value) -> Result<Rule, String> {
    serde_json::from_value::<RawRule>(v).map_err(|e| e.to_string())?.validate()
}

fn attrs(v: Value) -> serde_json::Map<String, Value> {
    v.as_object().unwrap().clone()
}

fn check(r: Value, yes: Value, no: Value) {
    let r = rule(r).unwrap();
    assert!(r.matches(&attrs(yes.clone()), None), "{r:?} should match {yes}");
    assert!(!r.matches(&attrs(no.clone()), None), "{r:?} should not match {no}");
}

#[test]
fn each_operator_has_a_positive_and_a_negative_case() {
    check(
        json!({"attribute": "country", "op": "eq", "value": "JP"}),
        json!({"country": "JP"}),
        json!({"country": "US"}),
    );
    check(json!({"attribute": "country", "op": "ne", "value": "JP"}), json!({}), json!({"country": "JP"}));
    check(json!({"attribute": "orders", "op": "eq", "value": 1}), json!({"orders": 1.0}), json!({"orders": "1"}));
    check(json!({"attribute": "c", "op": "in", "value": ["JP", "KR"]}), json!({"c": "KR"}), json!({"c": "US"}));
    check(json!({"attribute": "c", "op": "not_in", "value": ["JP"]}), json!({"c": "US"}), json!({"c": "JP"}));
    check(json!({"attribute": "n", "op": "lt", "value": 3}), json!({"n": 2}), json!({"n": 3}));
    check(json!({"attribute": "n", "op": "lte", "value": 3}), json!({"n": 3}), json!({"n": 3.5}));
    check(json!({"attribute": "n", "op": "gt", "value": 3}), json!({"n": 4}), json!({"n": "4"}));
    check(json!({"attribute": "n", "op": "gte", "value": 3}), json!({"n": 3}), json!({}));
    check(json!({"attribute": "plan", "op": "exists"}), json!({"plan": "pro"}), json!({"plan": null}));
    check(json!({"attribute": "plan", "op": "not_exists"}), json!({}), json!({"plan": "pro"}));
}

#[test]
fn groups_and_segments() {
    let r = rule(json!({"all": [
        {"segment": ["best", "customers"]},
        {"any": [{"attribute": "c", "op": "eq", "value": "JP"}, {"not": {"attribute": "vip", "op": "exists"}}]}
    ]}))
    .unwrap();
    assert!(r.matches(&attrs(json!({"c": "JP", "vip": true})), Some("best")));
    assert!(r.matches(&attrs(json!({"c": "US"})), Some("customers")));
    assert!(!r.matches(&attrs(json!({"c": "US", "vip": true})), Some("best")));
    assert!(!r.matches(&attrs(json!({"c": "JP"})), Some("prospects")));
    assert!(!r.matches(&attrs(json!({"c": "JP"})), None));
    assert!(rule(json!({"all": []})).unwrap().matches(&attrs(json!({})), None));
    assert!(!rule(json!({"any": []})).unwrap().matches(&attrs(json!({})), None));
}

#[test]
fn invalid_rules_say_why() {
    let cases = [
        (json!({}), "needs one of"),
        (json!({"all": [], "segment": "x"}), "exactly one"),
        (json!({"attribute": "c"}), "has no `op`"),
        (json!({"attribute": "c", "op": "like", "value": "x"}), "unknown op"),
        (json!({"attribute": "c", "op": "in", "value": []}), "non-empty list"),
        (json!({"attribute": "c", "op": "gt", "value": "3"}), "a number"),
        (json!({"attribute": "c", "op": "exists", "value": 1}), "takes no"),
        (json!({"segment": 3}), "segment name"),
        (json!({"segment": "x", "op": "eq"}), "belong to"),
        (json!({"attribute": "", "op": "exists"}), "1 to 100"),
    ];
    for (input, expected) in cases {
        let err = rule(input.clone()).unwrap_err();
        assert!(err.contains(expected), "{input}: {err}");
    }
    assert!(rule(json!({"attribute": "c", "op": "eq", "value": "x", "extra": 1}))
        .unwrap_err()
        .contains("unknown field"));
}

#[test]
fn deep_nesting_is_refused() {
    let mut v = json!({"segment": "x"});
    for _ in 0..40 {
        v = json!({"not": v});
    }
    assert!(rule(v).unwrap_err().contains("nest deeper"));
}

#[test]
fn wire_shape_round_trips() {
    let input = json!({"all": [{"segment": ["best"]}, {"attribute": "n", "op": "gte", "value": 2.0}, {"not": {"attribute": "x", "op": "exists"}}]});
    let r = rule(input.clone()).unwrap();
    assert_eq!(serde_json::to_value(r.to_raw()).unwrap(), input);
    assert_eq!(r.to_raw().validate().unwrap(), r);
}

#[test]
fn a_rule_is_decidable_from_the_facts_it_names() {
    let r = rule(json!({"all": [{"segment": ["best"]}, {"not": {"attribute": "country", "op": "eq", "value": "JP"}}]}))
        .unwrap();
    let country = json!({"country": "JP"}).as_object().unwrap().clone();
    assert!(r.decidable_from(&country, Some("best")));
    assert!(!r.decidable_from(&country, None), "the segment may be stored");
    assert!(!r.decidable_from(&serde_json::Map::new(), Some("best")), "the country may be stored");
    let any = rule(json!({"any": [{"attribute": "a", "op": "exists"}, {"attribute": "b", "op": "exists"}]})).unwrap();
    assert!(!any.decidable_from(&json!({"a": 1}).as_object().unwrap().clone(), None));
}
