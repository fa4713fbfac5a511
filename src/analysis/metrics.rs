//! Metric values per variant and their comparison with control, through the statistics engine.

use super::report::{Kind, MetricReport, Role, VariantMetric};
use crate::db::models::results::{CustomSums, VariantSums};
use crate::domain::experiment::{Aggregate, CustomMetric, ExperimentDef, MetricKind};
use crate::stats::{self, Analysis, CupedArm, Mean, Proportion, StatsError, Summary};

/// A metric to report and where its numbers come from.
#[derive(Debug, Clone)]
pub(super) struct Spec {
    name: String,
    role: Role,
    source: Source,
}

#[derive(Debug, Clone)]
enum Source {
    Conversion,
    Revenue,
    Orders,
    Referral,
    /// 1-based index into the experiment's custom metrics.
    Custom(usize, CustomMetric),
}

impl Spec {
    fn kind(&self) -> Kind {
        match &self.source {
            Source::Conversion | Source::Referral => Kind::Proportion,
            Source::Revenue | Source::Orders => Kind::Mean,
            Source::Custom(_, m) => match m.kind {
                MetricKind::Proportion => Kind::Proportion,
                MetricKind::Mean => Kind::Mean,
            },
        }
    }

    fn label(&self, goal_name: &str) -> String {
        match &self.source {
            Source::Conversion => format!("{} rate", goal_name.to_lowercase()),
            Source::Revenue => "revenue per customer".into(),
            Source::Orders => "orders per customer".into(),
            Source::Referral => "referral rate".into(),
            Source::Custom(_, m) => {
                let what = match &m.stage {
                    Some(stage) => format!("{} events of stage {stage}", m.event),
                    None => format!("{} events", m.event),
                };
                match (m.kind, m.aggregate) {
                    (MetricKind::Proportion, _) => format!("{}: share of customers with {what}", self.name),
                    (MetricKind::Mean, Some(Aggregate::Sum)) => format!("{}: value of {what} per customer", self.name),
                    (MetricKind::Mean, _) => format!("{}: {what} per customer", self.name),
                }
            }
        }
    }

    /// Whether CUPED applies: the built-in metrics whose pre-exposure value is computed.
    fn cuped_covariate(&self) -> bool {
        matches!(self.source, Source::Revenue | Source::Orders | Source::Referral)
    }
}

impl Spec {
    /// A built-in metric (`conversion`, `revenue`, `orders`, `referral`) under another name, for
    /// analyses that are not an experiment's (the programme's `reached:<stage>` is a conversion).
    pub(super) fn builtin(source: &str, name: &str, role: Role) -> Option<Spec> {
        let source = match source {
            "conversion" => Source::Conversion,
            "revenue" => Source::Revenue,
            "orders" => Source::Orders,
            "referral" => Source::Referral,
            _ => return None,
        };
        Some(Spec { name: name.to_string(), role, source })
    }
}

/// The experiment's metrics: primary, then secondary, then guardrails; a metric named twice is
/// reported once (as a guardrail when it is one).
pub(super) fn specs(def: &ExperimentDef) -> Vec<Spec> {
    let m = &def.metrics;
    let named = std::iter::once((&m.primary, Role::Primary))
        .chain(m.secondary.iter().map(|s| (s, Role::Secondary)))
        .chain(m.guardrails.iter().map(|s| (s, Role::Guardrail)));
    let mut out: Vec<Spec> = Vec::new();
    for (name, role) in named {
        if let Some(existing) = out.iter_mut().find(|s| &s.name == name) {
            if role == Role::Guardrail && existing.role == Role::Secondary {
                existing.role = Role::Guardrail;
            }
            continue;
        }
        let source = match name.as_str() {
            "conversion" => Source::Conversion,
            "revenue" => Source::Revenue,
            "orders" => Source::Orders,
            "referral" => Source::Referral,
            other => match m.custom.iter().position(|c| c.name == other) {
                Some(i) => Source::Custom(i + 1, m.custom[i].clone()),
                // Validation rejects unknown metric names; skip rather than fail a report.
                None => continue,
            },
        };
        out.push(Spec { name: name.clone(), role, source });
    }
    out
}

/// One arm's input to the engine.
enum Arm {
    Plain(Summary),
    Cuped(CupedArm),
}

fn arm(spec: &Spec, s: &VariantSums, custom: &[CustomSums], cuped: bool) -> Result<Arm, StatsError> {
    let n = s.n;
    let mean = |sum: f64, squares: f64| Mean::from_sums(n, sum, squares).map(Summary::from);
    let with_cuped = |post: (f64, f64), pre: (f64, f64), products: f64| -> Result<Arm, StatsError> {
        Ok(Arm::Cuped(CupedArm::from_sums(n, post.0, post.1, pre.0, pre.1, products)?))
    };
    let use_cuped = cuped && spec.cuped_covariate();
    Ok(match &spec.source {
        Source::Conversion => Arm::Plain(Proportion::new(n, s.conversions)?.into()),
        Source::Referral if use_cuped => {
            let (post, pre) = (s.referrals as f64, s.pre_referrals as f64);
            with_cuped((post, post), (pre, pre), s.referral_products as f64)?
        }
        Source::Referral => Arm::Plain(Proportion::new(n, s.referrals)?.into()),
        Source::Revenue if use_cuped => with_cuped(
            (s.revenue_sum, s.revenue_squares),
            (s.pre_revenue_sum, s.pre_revenue_squares),
            s.revenue_products,
        )?,
        Source::Revenue => Arm::Plain(mean(s.revenue_sum, s.revenue_squares)?),
        Source::Orders if use_cuped => {
            with_cuped((s.orders_sum, s.orders_squares), (s.pre_orders_sum, s.pre_orders_squares), s.orders_products)?
        }
        Source::Orders => Arm::Plain(mean(s.orders_sum, s.orders_squares)?),
        Source::Custom(i, m) => {
            let c = custom.iter().find(|c| c.variant_id == s.variant_id && c.metric == *i);
            let (customers, count, count_sq, value, value_sq) = c.map_or((0, 0.0, 0.0, 0.0, 0.0), |c| {
                (c.customers, c.count_sum, c.count_squares, c.value_sum, c.value_squares)
            });
            match (m.kind, m.aggregate) {
                (MetricKind::Proportion, _) => Arm::Plain(Proportion::new(n, customers.min(n))?.into()),
                (MetricKind::Mean, Some(Aggregate::Sum)) => Arm::Plain(mean(value, value_sq)?),
                (MetricKind::Mean, _) => Arm::Plain(mean(count, count_sq)?),
            }
        }
    })
}

/// Everything the metric reports need.
pub(super) struct Inputs<'a> {
    /// Variant keys, control first.
    pub keys: &'a [String],
    /// Sums per variant, same order.
    pub sums: &'a [VariantSums],
    /// Custom metric sums.
    pub custom: &'a [CustomSums],
    /// Engine options (no correction: it is applied over all metrics afterwards).
    pub options: &'a stats::Options,
    /// CUPED asked for.
    pub cuped: bool,
    /// Revenue cap, when winsorised.
    pub revenue_cap: Option<f64>,
    /// The goal stage's display name.
    pub goal_name: &'a str,
}

/// Analyses one metric over all variants.
pub(super) fn report(spec: &Spec, inputs: &Inputs<'_>) -> MetricReport {
    let arms: Result<Vec<Arm>, StatsError> =
        inputs.sums.iter().map(|s| arm(spec, s, inputs.custom, inputs.cuped)).collect();
    let analysis = arms.and_then(|arms| run(arms, inputs.options));
    let kind = spec.kind();
    let cuped = inputs.cuped && spec.cuped_covariate();
    let mut variants: Vec<VariantMetric> = Vec::with_capacity(inputs.keys.len());
    match analysis {
        Ok(a) => {
            let count = conversions(kind, &inputs.sums[0], spec, inputs.custom);
            let (n, mean, sd) = (a.control.n, a.control.mean, a.control.variance.sqrt());
            variants.push(VariantMetric::plain(inputs.keys[0].clone(), n, mean, sd, count));
            for ((key, t), sums) in inputs.keys[1..].iter().zip(a.treatments).zip(&inputs.sums[1..]) {
                let count = conversions(kind, sums, spec, inputs.custom);
                let mut v = VariantMetric::plain(key.clone(), t.n, t.mean, t.variance.sqrt(), count);
                v.absolute = t.absolute;
                v.relative = t.relative;
                v.chance_to_beat_control = t.chance_to_beat_control;
                v.risk = t.risk;
                v.note = t.absolute_reason.map(|r| r.reason().to_string());
                variants.push(v);
            }
        }
        Err(e) => {
            for (key, sums) in inputs.keys.iter().zip(inputs.sums) {
                let mut v = VariantMetric::plain(key.clone(), sums.n, 0.0, 0.0, None);
                v.note = Some(format!("not analysed: {e}"));
                variants.push(v);
            }
        }
    }
    MetricReport {
        metric: spec.name.clone(),
        label: spec.label(inputs.goal_name),
        role: spec.role,
        kind,
        cuped,
        winsorized_at: if matches!(spec.source, Source::Revenue) { inputs.revenue_cap } else { None },
        guardrail_violated: None,
        variants,
    }
}

fn run(arms: Vec<Arm>, options: &stats::Options) -> Result<Analysis, StatsError> {
    let mut plain = Vec::new();
    let mut cuped = Vec::new();
    for a in arms {
        match a {
            Arm::Plain(s) => plain.push(s),
            Arm::Cuped(c) => cuped.push(c),
        }
    }
    if cuped.is_empty() {
        let (control, treatments) =
            plain.split_first().ok_or(StatsError::TooFew { what: "variants", min: 2, got: 0 })?;
        stats::analyze(control, treatments, options)
    } else {
        let (control, treatments) =
            cuped.split_first().ok_or(StatsError::TooFew { what: "variants", min: 2, got: 0 })?;
        stats::analyze_cuped(control, treatments, options)
    }
}

fn conversions(kind: Kind, s: &VariantSums, spec: &Spec, custom: &[CustomSums]) -> Option<u64> {
    if kind != Kind::Proportion {
        return None;
    }
    Some(match &spec.source {
        Source::Conversion => s.conversions,
        Source::Referral => s.referrals,
        Source::Custom(i, _) => {
            custom.iter().find(|c| c.variant_id == s.variant_id && c.metric == *i).map_or(0, |c| c.customers.min(s.n))
        }
        Source::Revenue | Source::Orders => return None,
    })
}

/// Adjusts the treatments' p-values over all variants × metrics, marks what is significant at
/// `alpha`, and flags guardrails that a treatment made significantly worse (on the unadjusted
/// p-value: a guardrail should rather alarm too often than too late).
pub(super) fn finish(reports: &mut [MetricReport], correction: Option<stats::Correction>, alpha: f64) {
    let mut raw = Vec::new();
    let mut at = Vec::new();
    for (m, r) in reports.iter().enumerate() {
        for (v, vm) in r.variants.iter().enumerate().skip(1) {
            if let Some(e) = vm.absolute {
                raw.push(e.p_value);
                at.push((m, v));
            }
        }
    }
    let adjusted = match correction {
        Some(c) => stats::adjust(&raw, c).unwrap_or_else(|_| raw.clone()),
        None => raw.clone(),
    };
    for ((m, v), p) in at.into_iter().zip(adjusted) {
        let vm = &mut reports[m].variants[v];
        vm.adjusted_p_value = Some(p);
        vm.significant = Some(p < alpha);
    }
    for r in reports.iter_mut().filter(|r| r.role == Role::Guardrail) {
        let worse =
            r.variants.iter().skip(1).any(|v| v.absolute.is_some_and(|e| e.estimate < 0.0 && e.p_value < alpha));
        r.guardrail_violated = Some(worse);
    }
}
