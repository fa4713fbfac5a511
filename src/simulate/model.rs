//! What the synthetic store knows: the lifecycle, the running experiments with their true effects
//! (the `[simulation]` tables), and the baseline behaviour of customers.
//!
//! Stages play one of a few parts, read from the lifecycle's rules rather than from stage ids: a
//! stage the first purchase proves, one the second purchase proves, one a referral proves, or a
//! plain stage (proven by a stage event only). From each stage a customer moves on to the next
//! *milestone*, the next stage that a rule proves; the plain stages on the way (such as
//! `nurture` between the first and the second purchase) are side stages, visited or not before
//! the milestone. After the last rule stage, plain stages follow one another.

use serde_json::Value;
use std::collections::HashMap;

/// How a stage is proven, which decides the events sent when a customer reaches it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StageKind {
    /// A stage event only.
    Plain,
    /// The first purchase (e.g. `acquisition`).
    FirstPurchase,
    /// The second purchase (e.g. `retention`).
    RepeatPurchase,
    /// A referral (e.g. `advocacy`).
    Referral,
}

/// One transition's baseline: how likely, and at most how many days after the stage was reached.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Step {
    /// Probability of making the transition (before experiment effects).
    pub probability: f64,
    /// The transition happens within this many days (so a window at least this long sees it).
    pub max_days: f64,
}

/// How customers behave without any experiment.
#[derive(Debug, Clone, PartialEq)]
pub struct Baseline {
    /// To the first-purchase stage (a lead buys).
    pub first_purchase: Step,
    /// To the repeat-purchase stage (a first-time customer buys again).
    pub repeat_purchase: Step,
    /// To the referral stage (a repeat customer refers a friend).
    pub referral: Step,
    /// To a plain stage that is the next milestone (no rule stage follows).
    pub plain: Step,
    /// Chance of visiting a side stage on the way to the next milestone.
    pub side_stage: f64,
    /// Chance of each further order after the second one (within 60 days of it).
    pub further_order: f64,
    /// Median order value.
    pub order_median: f64,
    /// Spread of the log-normal order value (σ of its logarithm).
    pub order_sigma: f64,
}

/// The defaults are a store whose conversions are on the generous side, so that the demo's
/// reports give clear answers with a hundred thousand customers (a 35% repeat rate needs about
/// half the customers that a 20% one needs to show the same relative lift).
impl Default for Baseline {
    fn default() -> Self {
        Baseline {
            first_purchase: Step { probability: 0.40, max_days: 14.0 },
            repeat_purchase: Step { probability: 0.35, max_days: 30.0 },
            referral: Step { probability: 0.10, max_days: 60.0 },
            plain: Step { probability: 0.30, max_days: 14.0 },
            side_stage: 0.5,
            further_order: 0.3,
            order_median: 60.0,
            order_sigma: 0.7,
        }
    }
}

impl Baseline {
    /// The step that reaches a stage of this kind.
    pub fn step(&self, kind: StageKind) -> Step {
        match kind {
            StageKind::Plain => self.plain,
            StageKind::FirstPurchase => self.first_purchase,
            StageKind::RepeatPurchase => self.repeat_purchase,
            StageKind::Referral => self.referral,
        }
    }
}

/// A variant's true effect: relative changes (0.2 = +20%).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Effect {
    /// On the probability of reaching the experiment's goal.
    pub goal: f64,
    /// On order values.
    pub revenue: f64,
}

/// An experiment as the simulator sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Experiment {
    /// Key.
    pub key: String,
    /// Position of the eligible stage.
    pub stage: usize,
    /// Position of the goal stage.
    pub goal: usize,
    /// Conversion window.
    pub window_days: f64,
    /// True effect by variant key (missing = no effect).
    pub effects: HashMap<String, Effect>,
}

impl Experiment {
    /// The true effect of a variant.
    pub fn effect(&self, variant: &str) -> Effect {
        self.effects.get(variant).copied().unwrap_or_default()
    }
}

/// The whole simulated world.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    /// Stage ids, in lifecycle order.
    pub stages: Vec<String>,
    /// What proves each stage.
    pub kinds: Vec<StageKind>,
    /// Experiments by key.
    pub experiments: HashMap<String, Experiment>,
    /// Customer behaviour.
    pub baseline: Baseline,
}

/// Why the definitions from the API cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("unexpected answer from the service: {0}")]
pub struct ModelError(pub String);

impl Model {
    /// Builds the model from `GET /api/v1/lifecycle` and `GET /api/v1/experiments` answers.
    pub fn from_api(lifecycle: &Value, experiments: &Value, baseline: Baseline) -> Result<Model, ModelError> {
        let bad = |what: &str| ModelError(format!("{what} is missing or malformed"));
        let stages: Vec<String> = lifecycle["stages"]
            .as_array()
            .ok_or_else(|| bad("the lifecycle's `stages`"))?
            .iter()
            .map(|s| s["id"].as_str().map(str::to_string).ok_or_else(|| bad("a stage id")))
            .collect::<Result<_, _>>()?;
        if stages.is_empty() {
            return Err(ModelError("the lifecycle has no stages: apply experiments/ first".into()));
        }
        let rule = |name: &str| lifecycle["rules"][name].as_str();
        let kinds = stages
            .iter()
            .map(|id| match Some(id.as_str()) {
                s if s == rule("first_purchase") => StageKind::FirstPurchase,
                s if s == rule("repeat_purchase") => StageKind::RepeatPurchase,
                s if s == rule("referral") => StageKind::Referral,
                _ => StageKind::Plain,
            })
            .collect();
        let position = |id: &Value| id.as_str().and_then(|id| stages.iter().position(|s| s == id));
        let mut by_key = HashMap::new();
        for e in experiments["experiments"].as_array().ok_or_else(|| bad("`experiments`"))? {
            let key = e["key"].as_str().ok_or_else(|| bad("an experiment key"))?.to_string();
            let (Some(stage), Some(goal)) = (position(&e["stage"]), position(&e["goal"])) else {
                return Err(ModelError(format!("experiment {key:?} names a stage the lifecycle does not have")));
            };
            let effects = e["simulation"]["variants"]
                .as_object()
                .map(|variants| {
                    variants
                        .iter()
                        .map(|(variant, effect)| {
                            let relative = |field: &str| effect[field].as_f64().unwrap_or(0.0);
                            (variant.clone(), Effect { goal: relative("goal"), revenue: relative("revenue") })
                        })
                        .collect()
                })
                .unwrap_or_default();
            let window_days = e["window_days"].as_f64().unwrap_or(30.0);
            by_key.insert(key.clone(), Experiment { key, stage, goal, window_days, effects });
        }
        Ok(Model { stages, kinds, experiments: by_key, baseline })
    }

    /// The next milestone after stage `from`: the next stage a rule proves, else the next stage.
    pub fn milestone(&self, from: usize) -> Option<usize> {
        let later = from + 1..self.stages.len();
        later.clone().find(|&i| self.kinds[i] != StageKind::Plain).or(later.min())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The shipped lifecycle and one experiment, as the API serves them.
    pub(crate) fn shipped() -> Model {
        let lifecycle = json!({
            "stages": [{"id": "reach"}, {"id": "acquisition"}, {"id": "nurture"}, {"id": "retention"}, {"id": "advocacy"}],
            "rules": {"first_purchase": "acquisition", "repeat_purchase": "retention", "referral": "advocacy"},
        });
        let experiments = json!({"experiments": [{
            "key": "coupon", "stage": "acquisition", "goal": "retention", "window_days": 30, "status": "running",
            "simulation": {"variants": {"coupon10": {"goal": 0.2, "revenue": 0.0}}},
        }]});
        Model::from_api(&lifecycle, &experiments, Baseline::default()).unwrap()
    }

    #[test]
    fn stages_take_their_part_from_the_rules() {
        let model = shipped();
        use StageKind::*;
        assert_eq!(model.kinds, [Plain, FirstPurchase, Plain, RepeatPurchase, Referral]);
        assert_eq!((0..5).map(|i| model.milestone(i)).collect::<Vec<_>>(), [Some(1), Some(3), Some(3), Some(4), None]);
        let coupon = &model.experiments["coupon"];
        assert_eq!((coupon.stage, coupon.goal, coupon.window_days), (1, 3, 30.0));
        assert_eq!(coupon.effect("coupon10"), Effect { goal: 0.2, revenue: 0.0 });
        assert_eq!(coupon.effect("control"), Effect::default());
    }

    #[test]
    fn a_lifecycle_without_rules_is_a_chain_of_plain_stages() {
        let lifecycle = json!({"stages": [{"id": "a"}, {"id": "b"}, {"id": "c"}], "rules": {}});
        let model = Model::from_api(&lifecycle, &json!({"experiments": []}), Baseline::default()).unwrap();
        assert_eq!(model.kinds, [StageKind::Plain; 3]);
        assert_eq!((0..3).map(|i| model.milestone(i)).collect::<Vec<_>>(), [Some(1), Some(2), None]);
        let empty = Model::from_api(&json!({"stages": []}), &json!({"experiments": []}), Baseline::default());
        assert!(empty.unwrap_err().to_string().contains("no stages"));
    }
}
