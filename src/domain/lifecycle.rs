//! The ordered lifecycle stages (`experiments/lifecycle.toml`).

use serde::Serialize;

/// One lifecycle stage, e.g. `acquisition` (first purchase).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Stage {
    /// Stable id used everywhere (`^[a-z][a-z0-9_-]*$`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// What being in this stage means.
    pub description: String,
}

/// The stages in order, from first contact to advocacy, and the programme-wide holdout.
#[derive(Debug, Clone, PartialEq, Serialize, Default, utoipa::ToSchema)]
pub struct Lifecycle {
    /// Ordered stages; never empty once validated.
    pub stages: Vec<Stage>,
    /// Share of customers (0 to 1) who get no experiment at all, to measure the long-term effect of
    /// the whole programme against them.
    pub holdout: f64,
    /// Which stages purchases and referrals prove.
    pub rules: StageRules,
    /// The programme analysis's windows (`programme_windows_days`).
    pub windows_days: ProgrammeWindows,
}

/// The windows, in days, over which the programme analysis compares the holdout with everyone
/// else (CONTRACT §9): ascending, each 1 to 3650 days; `[30, 90]` unless the lifecycle says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(transparent)]
pub struct ProgrammeWindows(Vec<u32>);

impl Default for ProgrammeWindows {
    fn default() -> Self {
        ProgrammeWindows(vec![30, 90])
    }
}

impl ProgrammeWindows {
    /// The windows, if they are 1 to 8 distinct values from 1 to 3650 days (sorted here).
    pub fn new(mut days: Vec<u32>) -> Result<ProgrammeWindows, String> {
        days.sort_unstable();
        if days.is_empty() || days.len() > 8 {
            return Err(format!("programme_windows_days needs 1 to 8 windows, not {}", days.len()));
        }
        if let Some(bad) = days.iter().find(|d| !(1..=3650).contains(*d)) {
            return Err(format!("programme_windows_days: {bad} is not a number of days from 1 to 3650"));
        }
        if days.windows(2).any(|w| w[0] == w[1]) {
            return Err("programme_windows_days: a window is named twice".into());
        }
        Ok(ProgrammeWindows(days))
    }

    /// The windows, ascending.
    pub fn days(&self) -> &[u32] {
        &self.0
    }
}

/// Which stage an event proves a customer has reached, besides explicit stage events: so that a
/// store that sends only purchases (and referrals) still gets a lifecycle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, Default, utoipa::ToSchema)]
pub struct StageRules {
    /// Reached with the first purchase (default `acquisition`).
    pub first_purchase: Option<String>,
    /// Reached with the second purchase (default `retention`).
    pub repeat_purchase: Option<String>,
    /// Reached with the first referral (default `advocacy`).
    pub referral: Option<String>,
}

impl StageRules {
    /// The default rules for these stages: each default stage id, where the lifecycle has it.
    pub fn defaults_for(stages: &[Stage]) -> StageRules {
        let has = |id: &str| stages.iter().any(|s| s.id == id).then(|| id.to_string());
        StageRules { first_purchase: has("acquisition"), repeat_purchase: has("retention"), referral: has("advocacy") }
    }
}

impl Lifecycle {
    /// The position of a stage, if it exists.
    pub fn position(&self, id: &str) -> Option<usize> {
        self.stages.iter().position(|s| s.id == id)
    }

    /// The stage ids, in order, joined for messages ("reach, acquisition, …").
    pub fn ids(&self) -> String {
        self.stages.iter().map(|s| s.id.as_str()).collect::<Vec<_>>().join(", ")
    }
}

/// Whether `id` is a valid stage id.
pub fn is_valid_stage_id(id: &str) -> bool {
    let mut chars = id.chars();
    matches!(chars.next(), Some('a'..='z'))
        && id.len() <= 63
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_ids() {
        assert!(is_valid_stage_id("retention"));
        assert!(is_valid_stage_id("second_purchase-2"));
        assert!(!is_valid_stage_id("Retention"));
        assert!(!is_valid_stage_id("2nd"));
        assert!(!is_valid_stage_id(""));
        assert!(!is_valid_stage_id(&"a".repeat(64)));
    }

    #[test]
    fn positions_follow_order() {
        let stage = |id: &str| Stage { id: id.into(), name: id.into(), description: String::new() };
        let l = Lifecycle {
            stages: vec![stage("reach"), stage("acquisition")],
            holdout: 0.0,
            rules: StageRules::default(),
            windows_days: ProgrammeWindows::default(),
        };
        assert_eq!(l.windows_days.days(), [30, 90]);
        assert_eq!(ProgrammeWindows::new(vec![90, 7]).unwrap().days(), [7, 90]);
        assert!(ProgrammeWindows::new(vec![]).is_err());
        assert!(ProgrammeWindows::new(vec![0]).is_err());
        assert!(ProgrammeWindows::new(vec![30, 30]).is_err());
        assert_eq!(l.position("acquisition"), Some(1));
        assert_eq!(l.position("advocacy"), None);
        assert_eq!(l.ids(), "reach, acquisition");
    }
}
