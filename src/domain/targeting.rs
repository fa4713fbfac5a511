//! Targeting rules: which customers an experiment is for.
//!
//! The same shape is written in experiment files (TOML) and stored and served as JSON:
//! - `{ all = [rule, …] }`, `{ any = [rule, …] }`, `{ not = rule }`
//! - `{ segment = "best" }` or `{ segment = ["best", "customers"] }` (membership)
//! - `{ attribute = "country", op = "in", value = ["JP", "KR"] }` with `op` one of
//!   `eq`, `ne`, `in`, `not_in`, `lt`, `lte`, `gt`, `gte`, `exists`, `not_exists`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A validated targeting rule.
#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    /// Every rule holds (true when empty).
    All(Vec<Rule>),
    /// At least one rule holds (false when empty).
    Any(Vec<Rule>),
    /// The rule does not hold.
    Not(Box<Rule>),
    /// The customer's segment is one of these.
    Segment(Vec<String>),
    /// A condition on one attribute.
    Attribute {
        /// Attribute name.
        name: String,
        /// The condition.
        condition: Condition,
    },
}

/// A condition on one attribute value.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// Equal (JSON equality; numbers compare numerically).
    Eq(Value),
    /// Not equal (also true when the attribute is missing).
    Ne(Value),
    /// One of the listed values.
    In(Vec<Value>),
    /// None of the listed values (also true when missing).
    NotIn(Vec<Value>),
    /// Numeric comparisons; false when the attribute is missing or not a number.
    Lt(f64),
    /// `<=`.
    Lte(f64),
    /// `>`.
    Gt(f64),
    /// `>=`.
    Gte(f64),
    /// The attribute is present and not null.
    Exists,
    /// The attribute is missing or null.
    NotExists,
}

/// The wire shape of a rule (TOML and JSON), before validation.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    /// `all` group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(no_recursion)]
    pub all: Option<Vec<RawRule>>,
    /// `any` group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(no_recursion)]
    pub any: Option<Vec<RawRule>>,
    /// Negation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(no_recursion)]
    pub not: Option<Box<RawRule>>,
    /// Segment membership: a name or a list of names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment: Option<Value>,
    /// Attribute name of a condition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribute: Option<String>,
    /// Operator of a condition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub op: Option<String>,
    /// Operand of a condition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
}

/// Deepest nesting accepted, so that hostile input cannot exhaust the stack.
const MAX_DEPTH: usize = 16;

impl RawRule {
    /// Validates into a [`Rule`]; the error says what is wrong.
    pub fn validate(&self) -> Result<Rule, String> {
        self.validate_at(0)
    }

    fn validate_at(&self, depth: usize) -> Result<Rule, String> {
        if depth > MAX_DEPTH {
            return Err(format!("targeting rules nest deeper than {MAX_DEPTH} levels"));
        }
        let kinds = [
            self.all.is_some(),
            self.any.is_some(),
            self.not.is_some(),
            self.segment.is_some(),
            self.attribute.is_some(),
        ];
        match kinds.iter().filter(|k| **k).count() {
            0 => return Err("a targeting rule needs one of `all`, `any`, `not`, `segment` or `attribute`".into()),
            1 => {}
            _ => return Err("a targeting rule has exactly one of `all`, `any`, `not`, `segment` or `attribute`".into()),
        }
        if self.attribute.is_none() && (self.op.is_some() || self.value.is_some()) {
            return Err("`op` and `value` belong to an `attribute` rule".into());
        }
        let group = |rules: &[RawRule]| rules.iter().map(|r| r.validate_at(depth + 1)).collect::<Result<Vec<_>, _>>();
        if let Some(rules) = &self.all {
            return Ok(Rule::All(group(rules)?));
        }
        if let Some(rules) = &self.any {
            return Ok(Rule::Any(group(rules)?));
        }
        if let Some(rule) = &self.not {
            return Ok(Rule::Not(Box::new(rule.validate_at(depth + 1)?)));
        }
        if let Some(segment) = &self.segment {
            return segments(segment).map(Rule::Segment);
        }
        let name = self.attribute.clone().unwrap_or_default();
        if name.is_empty() || name.len() > 100 {
            return Err("`attribute` must name an attribute (1 to 100 characters)".into());
        }
        let op = self.op.as_deref().ok_or_else(|| format!("attribute rule on {name:?} has no `op`"))?;
        let condition = condition(op, self.value.as_ref()).map_err(|e| format!("attribute rule on {name:?}: {e}"))?;
        Ok(Rule::Attribute { name, condition })
    }
}

fn segments(value: &Value) -> Result<Vec<String>, String> {
    let names: Vec<String> = match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned).ok_or_else(|| "`segment` lists segment names (strings)".to_string()))
            .collect::<Result<_, _>>()?,
        _ => return Err("`segment` is a segment name or a list of names".into()),
    };
    if names.is_empty() || names.iter().any(String::is_empty) {
        return Err("`segment` needs at least one non-empty segment name".into());
    }
    Ok(names)
}

fn condition(op: &str, value: Option<&Value>) -> Result<Condition, String> {
    let needs = |what: &str| format!("`{op}` needs a `value` that is {what}");
    let scalar = |v: Option<&Value>| match v {
        Some(v @ (Value::String(_) | Value::Number(_) | Value::Bool(_))) => Ok(v.clone()),
        _ => Err(needs("a string, number or boolean")),
    };
    let list = |v: Option<&Value>| match v {
        Some(Value::Array(items))
            if !items.is_empty()
                && items.iter().all(|i| matches!(i, Value::String(_) | Value::Number(_) | Value::Bool(_))) =>
        {
            Ok(items.clone())
        }
        _ => Err(needs("a non-empty list of strings, numbers or booleans")),
    };
    let number =
        |v: Option<&Value>| v.and_then(Value::as_f64).filter(|n| n.is_finite()).ok_or_else(|| needs("a number"));
    let nothing = |v: Option<&Value>| if v.is_none() { Ok(()) } else { Err(format!("`{op}` takes no `value`")) };
    Ok(match op {
        "eq" => Condition::Eq(scalar(value)?),
        "ne" => Condition::Ne(scalar(value)?),
        "in" => Condition::In(list(value)?),
        "not_in" => Condition::NotIn(list(value)?),
        "lt" => Condition::Lt(number(value)?),
        "lte" => Condition::Lte(number(value)?),
        "gt" => Condition::Gt(number(value)?),
        "gte" => Condition::Gte(number(value)?),
        "exists" => nothing(value).map(|_| Condition::Exists)?,
        "not_exists" => nothing(value).map(|_| Condition::NotExists)?,
        other => {
            return Err(format!("unknown op {other:?} (eq, ne, in, not_in, lt, lte, gt, gte, exists, not_exists)"))
        }
    })
}

impl Rule {
    /// The wire shape (for storing and serving).
    pub fn to_raw(&self) -> RawRule {
        let group = |rules: &[Rule]| Some(rules.iter().map(Rule::to_raw).collect());
        match self {
            Rule::All(rules) => RawRule { all: group(rules), ..RawRule::default() },
            Rule::Any(rules) => RawRule { any: group(rules), ..RawRule::default() },
            Rule::Not(rule) => RawRule { not: Some(Box::new(rule.to_raw())), ..RawRule::default() },
            Rule::Segment(names) => RawRule { segment: Some(Value::from(names.clone())), ..RawRule::default() },
            Rule::Attribute { name, condition } => {
                let (op, value) = match condition {
                    Condition::Eq(v) => ("eq", Some(v.clone())),
                    Condition::Ne(v) => ("ne", Some(v.clone())),
                    Condition::In(v) => ("in", Some(Value::from(v.clone()))),
                    Condition::NotIn(v) => ("not_in", Some(Value::from(v.clone()))),
                    Condition::Lt(n) => ("lt", Some(Value::from(*n))),
                    Condition::Lte(n) => ("lte", Some(Value::from(*n))),
                    Condition::Gt(n) => ("gt", Some(Value::from(*n))),
                    Condition::Gte(n) => ("gte", Some(Value::from(*n))),
                    Condition::Exists => ("exists", None),
                    Condition::NotExists => ("not_exists", None),
                };
                RawRule { attribute: Some(name.clone()), op: Some(op.into()), value, ..RawRule::default() }
            }
        }
    }

    /// Whether these attributes and segment alone settle the rule, whatever else is stored about
    /// the customer: every attribute it names is given, and so is the segment if it names one.
    pub fn decidable_from(&self, attributes: &serde_json::Map<String, Value>, segment: Option<&str>) -> bool {
        match self {
            Rule::All(rules) | Rule::Any(rules) => rules.iter().all(|r| r.decidable_from(attributes, segment)),
            Rule::Not(rule) => rule.decidable_from(attributes, segment),
            Rule::Segment(_) => segment.is_some(),
            Rule::Attribute { name, .. } => attributes.contains_key(name),
        }
    }

    /// Whether a customer with these attributes and segment matches.
    pub fn matches(&self, attributes: &serde_json::Map<String, Value>, segment: Option<&str>) -> bool {
        match self {
            Rule::All(rules) => rules.iter().all(|r| r.matches(attributes, segment)),
            Rule::Any(rules) => rules.iter().any(|r| r.matches(attributes, segment)),
            Rule::Not(rule) => !rule.matches(attributes, segment),
            Rule::Segment(names) => segment.is_some_and(|s| names.iter().any(|n| n == s)),
            Rule::Attribute { name, condition } => condition.holds(attributes.get(name).filter(|v| !v.is_null())),
        }
    }
}

impl Condition {
    fn holds(&self, value: Option<&Value>) -> bool {
        let num = value.and_then(Value::as_f64);
        match self {
            Condition::Eq(expected) => value.is_some_and(|v| same(v, expected)),
            Condition::Ne(expected) => !value.is_some_and(|v| same(v, expected)),
            Condition::In(list) => value.is_some_and(|v| list.iter().any(|e| same(v, e))),
            Condition::NotIn(list) => !value.is_some_and(|v| list.iter().any(|e| same(v, e))),
            Condition::Lt(n) => num.is_some_and(|x| x < *n),
            Condition::Lte(n) => num.is_some_and(|x| x <= *n),
            Condition::Gt(n) => num.is_some_and(|x| x > *n),
            Condition::Gte(n) => num.is_some_and(|x| x >= *n),
            Condition::Exists => value.is_some(),
            Condition::NotExists => value.is_none(),
        }
    }
}

/// JSON equality, except that numbers compare by value (1 == 1.0).
fn same(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) if a.is_number() && b.is_number() => x == y,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests;
