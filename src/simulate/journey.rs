//! One customer's way through the lifecycle: pure and deterministic.
//!
//! A customer reaches a stage, asks for assignments there (a [`Visit`]) and, once answered, draws
//! what happens next from a random generator seeded by their id alone, so a run does the same
//! whatever the order in which answers come back. From a stage the customer may reach the next
//! milestone (see [`super::model`]) within the step's `max_days`; the true effect of each assigned
//! variant whose experiment's goal is that milestone or beyond multiplies the probability, and the
//! delay is kept within the experiment's window. Side stages on the way are visited (and asked
//! for assignments) first, so that their experiments count too. Nothing happens after `now`.

use super::model::{Effect, Model, StageKind};
use chrono::{DateTime, Duration, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use serde_json::{json, Map, Value};

/// An event for `POST /api/v1/events`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SimEvent {
    /// Deterministic id: `<customer>-e<n>`.
    pub id: String,
    /// Whose.
    pub customer_id: String,
    /// `stage`, `purchase` or `referral`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The stage entered (stage events).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    /// Order value (purchases).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    /// Order id (purchases).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    /// The new customer (referrals).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub referred_customer_id: Option<String>,
    /// When (never after the run's `now`).
    pub occurred_at: DateTime<Utc>,
}

/// A stage reached, for which the customer asks for assignments (back-dated to `at`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Visit {
    /// Stage position.
    pub stage: usize,
    /// When reached.
    pub at: DateTime<Utc>,
}

/// What a step of a journey produced.
#[derive(Debug, Default, PartialEq)]
pub struct Outcome {
    /// Events to send.
    pub events: Vec<SimEvent>,
    /// Assignment requests to make.
    pub visits: Vec<Visit>,
    /// New customers brought by a referral: id and arrival.
    pub referred: Vec<(String, DateTime<Utc>)>,
}

/// An exposure the customer got, for revenue effects.
#[derive(Debug, Clone)]
struct Exposed {
    at: DateTime<Utc>,
    window_days: f64,
    effect: Effect,
}

/// A milestone drawn but not decided until the side stages on the way are answered.
#[derive(Debug)]
struct Pending {
    target: usize,
    at: DateTime<Utc>,
    draw: f64,
    probability: f64,
    /// One factor per side stage visited, filled in by its answer.
    sides: Vec<(usize, Option<f64>)>,
}

/// A customer and the state of their journey.
#[derive(Debug)]
pub struct Customer {
    /// Id, e.g. `sim-42-17`.
    pub id: String,
    /// Attributes sent with every assignment request.
    pub attributes: Map<String, Value>,
    rng: StdRng,
    exposures: Vec<Exposed>,
    events: u32,
    pending: Option<Pending>,
    outstanding: usize,
}

impl Customer {
    /// Whether nothing more will happen to this customer.
    pub fn finished(&self) -> bool {
        self.outstanding == 0 && self.pending.is_none()
    }
}

/// The rules of the world for one run: the model and the run's clock.
pub struct World<'a> {
    /// The model.
    pub model: &'a Model,
    /// The run's seed (mixed into every customer's generator).
    pub seed: u64,
    /// The end of simulated time: nothing happens later.
    pub now: DateTime<Utc>,
}

/// Countries drawn for customers (JP, KR and TW match the example targeting), with weights.
const COUNTRIES: [(&str, f64); 4] = [("JP", 0.30), ("KR", 0.15), ("TW", 0.10), ("US", 0.45)];

fn days(d: f64) -> Duration {
    Duration::milliseconds((d * 86_400_000.0) as i64)
}

impl World<'_> {
    /// The `n`-th customer of the run: arrives at a random time within `days` before `now`.
    pub fn customer(&self, n: u64, days_back: f64) -> (Customer, DateTime<Utc>) {
        let mut customer = self.new_customer(format!("sim-{}-{n}", self.seed));
        let arrival = self.now - days(days_back * customer.rng.random::<f64>());
        let channel = if customer.rng.random_bool(0.5) { "ads" } else { "organic" };
        customer.attributes.insert("channel".into(), json!(channel));
        (customer, arrival)
    }

    /// A customer brought by a referral.
    pub fn referred(&self, id: String) -> Customer {
        let mut customer = self.new_customer(id);
        customer.attributes.insert("channel".into(), json!("referral"));
        customer
    }

    fn new_customer(&self, id: String) -> Customer {
        let mut rng = StdRng::seed_from_u64(xxhash_rust::xxh64::xxh64(id.as_bytes(), self.seed));
        let mut pick = rng.random::<f64>();
        let country = COUNTRIES
            .iter()
            .find(|(_, w)| {
                pick -= w;
                pick < 0.0
            })
            .map_or("US", |(c, _)| c);
        let mut attributes = Map::new();
        attributes.insert("country".into(), json!(country));
        Customer { id, attributes, rng, exposures: Vec::new(), events: 0, pending: None, outstanding: 0 }
    }

    /// The customer reaches the first stage at `at`.
    pub fn arrive(&self, c: &mut Customer, at: DateTime<Utc>) -> Outcome {
        let mut out = Outcome::default();
        self.reach(c, 0, at, &mut out);
        out
    }

    /// The answer to a visit: the assigned `(experiment, variant)` pairs. Draws what comes next.
    pub fn answered(&self, c: &mut Customer, visit: Visit, assigned: &[(String, String)]) -> Outcome {
        c.outstanding -= 1;
        let mut out = Outcome::default();
        let assigned: Vec<(&super::model::Experiment, Effect)> = assigned
            .iter()
            .filter_map(|(e, v)| self.model.experiments.get(e).map(|exp| (exp, exp.effect(v))))
            .collect();
        for (exp, effect) in &assigned {
            c.exposures.push(Exposed { at: visit.at, window_days: exp.window_days, effect: *effect });
        }
        // On the way to `target`, the factor of every experiment whose goal lies at or beyond it.
        let factor = |target: usize| -> f64 {
            assigned.iter().filter(|(e, _)| e.goal >= target).map(|(_, f)| 1.0 + f.goal).product()
        };
        if let Some(pending) = &mut c.pending {
            let f = factor(pending.target);
            if let Some(side) = pending.sides.iter_mut().find(|(stage, got)| *stage == visit.stage && got.is_none()) {
                side.1 = Some(f);
            }
            if pending.sides.iter().all(|(_, got)| got.is_some()) {
                self.resolve(c, &mut out);
            }
            return out;
        }
        let Some(target) = self.model.milestone(visit.stage) else { return out };
        let step = self.model.baseline.step(self.model.kinds[target]);
        let window = assigned.iter().filter(|(e, _)| e.goal >= target).map(|(e, _)| e.window_days);
        let max_days = window.fold(step.max_days, f64::min);
        let u = c.rng.random::<f64>();
        let delay = max_days * (0.002 + 0.998 * u * u);
        let reached = visit.at + days(delay);
        let draw = c.rng.random::<f64>();
        let mut sides = Vec::new();
        for side in visit.stage + 1..target {
            let goal_here: f64 = assigned.iter().filter(|(e, _)| e.goal == side).map(|(_, f)| 1.0 + f.goal).product();
            let visited = c.rng.random::<f64>() < self.model.baseline.side_stage * goal_here;
            let at = visit.at + days(delay * c.rng.random_range(0.05..0.95));
            if visited && at <= self.now {
                sides.push((side, None));
                self.reach(c, side, at, &mut out);
            }
        }
        c.pending = Some(Pending { target, at: reached, draw, probability: step.probability * factor(target), sides });
        if c.pending.as_ref().is_some_and(|p| p.sides.is_empty()) {
            self.resolve(c, &mut out);
        }
        out
    }

    /// Decides the pending milestone now that every side stage has answered.
    fn resolve(&self, c: &mut Customer, out: &mut Outcome) {
        let Some(p) = c.pending.take() else { return };
        let probability = p.probability * p.sides.iter().map(|(_, f)| f.unwrap_or(1.0)).product::<f64>();
        if p.draw < probability && p.at <= self.now {
            self.reach(c, p.target, p.at, out);
        }
    }

    /// The customer reaches `stage` at `at`: its events, and a visit to ask for assignments.
    fn reach(&self, c: &mut Customer, stage: usize, at: DateTime<Utc>, out: &mut Outcome) {
        let stage_id = self.model.stages[stage].clone();
        let event = self.event(c, "stage", at);
        out.events.push(SimEvent { stage: Some(stage_id), ..event });
        match self.model.kinds[stage] {
            StageKind::Plain => {}
            StageKind::FirstPurchase => self.purchase(c, at, out),
            StageKind::RepeatPurchase => {
                self.purchase(c, at, out);
                for _ in 0..5 {
                    if c.rng.random::<f64>() >= self.model.baseline.further_order {
                        break;
                    }
                    let later = at + days(c.rng.random_range(1.0..60.0));
                    if later <= self.now {
                        self.purchase(c, later, out);
                    }
                }
            }
            StageKind::Referral => {
                let friend = format!("{}-r", c.id);
                let event = self.event(c, "referral", at);
                out.events.push(SimEvent { referred_customer_id: Some(friend.clone()), ..event });
                out.referred.push((friend, at));
            }
        }
        c.outstanding += 1;
        out.visits.push(Visit { stage, at });
    }

    /// A purchase with a log-normal order value, changed by the revenue effects in force.
    fn purchase(&self, c: &mut Customer, at: DateTime<Utc>, out: &mut Outcome) {
        let b = &self.model.baseline;
        // Box–Muller: a standard normal from two uniforms.
        let (u1, u2) = (1.0 - c.rng.random::<f64>(), c.rng.random::<f64>());
        let normal = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
        let effect: f64 = c
            .exposures
            .iter()
            .filter(|e| e.at <= at && at <= e.at + days(e.window_days))
            .map(|e| 1.0 + e.effect.revenue)
            .product();
        let value = (b.order_median * (b.order_sigma * normal).exp() * effect * 100.0).round() / 100.0;
        let event = self.event(c, "purchase", at);
        let order = format!("{}-o", event.id);
        out.events.push(SimEvent { value: Some(value), order_id: Some(order), ..event });
    }

    /// A new event of the customer, with the next id.
    fn event(&self, c: &mut Customer, kind: &'static str, at: DateTime<Utc>) -> SimEvent {
        c.events += 1;
        SimEvent {
            id: format!("{}-e{}", c.id, c.events),
            customer_id: c.id.clone(),
            kind,
            stage: None,
            value: None,
            order_id: None,
            referred_customer_id: None,
            occurred_at: at,
        }
    }
}

#[cfg(test)]
mod tests;
