//! When an experiment starts and stops by itself (CONTRACT §7): `start_at`, `stop_at`, and
//! "stop when the planned sample is reached". The background watch asks [`Schedule::due`] on
//! every pass; definitions are checked with [`Schedule::check`].

use super::experiment::Status;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// An experiment's schedule; the default is none (started and stopped by hand).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Schedule {
    /// A draft starts by itself at this time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_at: Option<DateTime<Utc>>,
    /// A running or paused experiment stops by itself at this time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_at: Option<DateTime<Utc>>,
    /// A running experiment stops by itself once its planned sample is reached.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stop_on_sample: bool,
}

/// A status change the schedule asks for now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Due {
    /// The status to move to.
    pub to: Status,
    /// Why, for the audit log, the notification and the experiment page.
    pub note: &'static str,
}

/// Why a schedule is refused: the field it names and a sentence.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ScheduleError {
    /// `start_at` or `stop_at`.
    pub field: &'static str,
    /// What is wrong.
    pub message: String,
}

impl Schedule {
    /// Whether anything is scheduled.
    pub fn is_empty(&self) -> bool {
        *self == Schedule::default()
    }

    /// Checks a schedule given at `now`, where the experiment had `before` (`None`: new). A time
    /// that is set or changed must lie in the future; one kept as it was may have passed (it
    /// already did its work). `stop_at` must come after `start_at`.
    pub fn check(&self, before: Option<&Schedule>, now: DateTime<Utc>) -> Result<(), ScheduleError> {
        let was = before.copied().unwrap_or_default();
        for (field, at, old) in [("start_at", self.start_at, was.start_at), ("stop_at", self.stop_at, was.stop_at)] {
            if let Some(at) = at {
                if Some(at) != old && at <= now {
                    return Err(ScheduleError {
                        field,
                        message: format!("{} is in the past (now is {})", at.to_rfc3339(), now.to_rfc3339()),
                    });
                }
            }
        }
        if let (Some(start), Some(stop)) = (self.start_at, self.stop_at) {
            if stop <= start {
                return Err(ScheduleError {
                    field: "stop_at",
                    message: format!("{} must come after start_at {}", stop.to_rfc3339(), start.to_rfc3339()),
                });
            }
        }
        Ok(())
    }

    /// The change due now for an experiment in `status` whose planned sample is reached or not.
    pub fn due(&self, status: Status, now: DateTime<Utc>, sample_reached: bool) -> Option<Due> {
        match status {
            Status::Draft if self.start_at.is_some_and(|at| at <= now) => {
                if self.stop_at.is_some_and(|at| at <= now) {
                    // Both times passed while nothing ran (the service was down): it never starts.
                    return Some(Due {
                        to: Status::Stopped,
                        note: "its scheduled stop (stop_at) passed before it started",
                    });
                }
                Some(Due { to: Status::Running, note: "its scheduled start (start_at) was reached" })
            }
            Status::Running | Status::Paused if self.stop_at.is_some_and(|at| at <= now) => {
                Some(Due { to: Status::Stopped, note: "its scheduled stop (stop_at) was reached" })
            }
            Status::Running if self.stop_on_sample && sample_reached => {
                Some(Due { to: Status::Stopped, note: "its planned sample was reached (stop_on_sample)" })
            }
            _ => None,
        }
    }
}

/// The status `apply` asks for when a file says `wanted` and the stored experiment is `stored`,
/// last changed by stagelab itself when `automatic`. A file does not undo what the schedule or a
/// guardrail did: an automatic status stands unless the file asks to end the experiment.
pub fn desired_status(wanted: Status, stored: Status, automatic: bool) -> Status {
    if automatic && wanted != stored && !wanted.has_ended() {
        stored
    } else {
        wanted
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 2, hour, 0, 0).unwrap()
    }

    #[test]
    fn new_times_must_be_in_the_future_and_in_order() {
        let now = at(12);
        let past = Schedule { start_at: Some(at(11)), ..Schedule::default() };
        assert_eq!(past.check(None, now).unwrap_err().field, "start_at");
        let stop_past = Schedule { stop_at: Some(at(12)), ..Schedule::default() };
        assert_eq!(stop_past.check(None, now).unwrap_err().field, "stop_at");
        let reversed = Schedule { start_at: Some(at(15)), stop_at: Some(at(14)), stop_on_sample: false };
        let e = reversed.check(None, now).unwrap_err();
        assert_eq!(e.field, "stop_at");
        assert!(e.message.contains("after start_at"), "{e}");
        let fine = Schedule { start_at: Some(at(13)), stop_at: Some(at(14)), stop_on_sample: true };
        assert_eq!(fine.check(None, now), Ok(()));
    }

    #[test]
    fn a_time_kept_as_it_was_may_have_passed() {
        let s = Schedule { start_at: Some(at(9)), stop_at: Some(at(18)), stop_on_sample: false };
        assert_eq!(s.check(Some(&s), at(12)), Ok(()));
        let moved = Schedule { start_at: Some(at(10)), ..s };
        assert_eq!(moved.check(Some(&s), at(12)).unwrap_err().field, "start_at");
    }

    #[test]
    fn due_starts_drafts_and_stops_running_or_paused_ones() {
        let s = Schedule { start_at: Some(at(9)), stop_at: Some(at(18)), stop_on_sample: false };
        assert_eq!(s.due(Status::Draft, at(8), false), None);
        assert_eq!(s.due(Status::Draft, at(9), false).map(|d| d.to), Some(Status::Running));
        assert_eq!(s.due(Status::Running, at(17), true), None);
        assert_eq!(s.due(Status::Running, at(18), false).map(|d| d.to), Some(Status::Stopped));
        assert_eq!(s.due(Status::Paused, at(19), false).map(|d| d.to), Some(Status::Stopped));
        assert_eq!(s.due(Status::Draft, at(19), false).map(|d| d.to), Some(Status::Stopped));
        for ended in [Status::Stopped, Status::Shipped] {
            assert_eq!(s.due(ended, at(19), true), None);
        }
    }

    #[test]
    fn the_planned_sample_stops_only_running_experiments_that_ask_for_it() {
        let off = Schedule::default();
        assert_eq!(off.due(Status::Running, at(12), true), None);
        let on = Schedule { stop_on_sample: true, ..Schedule::default() };
        assert_eq!(on.due(Status::Running, at(12), false), None);
        assert_eq!(on.due(Status::Running, at(12), true).map(|d| d.to), Some(Status::Stopped));
        assert_eq!(on.due(Status::Paused, at(12), true), None);
    }

    #[test]
    fn a_file_does_not_undo_an_automatic_status_but_may_end_it() {
        assert_eq!(desired_status(Status::Draft, Status::Running, true), Status::Running);
        assert_eq!(desired_status(Status::Running, Status::Paused, true), Status::Paused);
        assert_eq!(desired_status(Status::Stopped, Status::Paused, true), Status::Stopped);
        assert_eq!(desired_status(Status::Running, Status::Paused, false), Status::Running);
    }
}
