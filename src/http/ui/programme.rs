//! `GET /programme`: the programme holdout against everyone else, per stage (CONTRACT §9), with
//! the numbers of `GET /api/v1/programme` and the time-to-next-stage curves.

use super::error::UiError;
use super::page;
use super::session::Session;
use crate::analysis::format;
use crate::analysis::report::{SurvivalVariant, TimeToGoal};
use crate::state::AppState;
use actix_web::{get, web, HttpResponse};

#[get("/programme")]
pub(super) async fn show(state: web::Data<AppState>, session: Session) -> Result<HttpResponse, UiError> {
    let mut conn = state.pool.get().await?;
    let programme = crate::analysis::compute_programme(&mut conn, chrono::Utc::now()).await?;
    let longest = programme.windows_days.last().copied().unwrap_or(90) as i32;
    let stages: Vec<_> = programme
        .stages
        .iter()
        .map(|s| {
            let rows: Vec<_> = s
                .metrics
                .iter()
                .map(|m| {
                    let r = &m.report;
                    let (h, rest) = (&r.variants[0], &r.variants[1]);
                    let lift = rest.relative.map(|e| {
                        format!(
                            "{} [{}, {}]",
                            format::signed_percent(e.estimate),
                            format::signed_percent(e.ci.lower()),
                            format::signed_percent(e.ci.upper())
                        )
                    });
                    minijinja::context! {
                        label => &r.label, metric => &r.metric, window => m.window_days,
                        holdout => format::value(r.kind, h.mean), holdout_n => h.n,
                        rest => format::value(r.kind, rest.mean), rest_n => rest.n,
                        lift, p => rest.absolute.map(|a| format::p_value(a.p_value)),
                        beat => rest.chance_to_beat_control.map(format::percent),
                        significant => rest.significant.unwrap_or(false),
                        note => rest.note.as_deref().or(h.note.as_deref()),
                    }
                })
                .collect();
            let chart = s.next_stage.as_ref().map(|c| {
                let curve = |name: &str, points: &[crate::stats::KmPoint]| SurvivalVariant {
                    variant: name.to_string(),
                    curve: points.to_vec(),
                    log_rank: None,
                };
                let t =
                    TimeToGoal { unit: "days", variants: vec![curve("holdout", &c.holdout), curve("rest", &c.rest)] };
                crate::report::svg::time_to_goal(&t, longest)
            });
            let next = s.next_stage.as_ref().map(|c| c.stage.clone());
            minijinja::context! {
                stage => &s.stage, name => &s.name, summary => &s.summary,
                holdout_n => s.holdout.n, rest_n => s.rest.n, rows, chart, next,
            }
        })
        .collect();
    let html = crate::templates::render(
        "programme.html",
        minijinja::context! {
            title => "Programme", nav => "programme", user => &session, csrf_token => &session.csrf_token,
            holdout => format::percent(programme.holdout), windows => &programme.windows_days, stages,
        },
    )?;
    Ok(page(html))
}
