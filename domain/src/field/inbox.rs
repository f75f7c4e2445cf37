//! The township inbox that answers field reports: its states and steps as one table-driven
//! machine (who may take which step from where, and which steps need a note), its filter
//! and pages, and a report as the township reads it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::kinds::ReportKind;
use super::report::{Category, Gps, Severity};
use super::weekly::NOTE_MAX;
use crate::auth::Role;
use crate::petition::{Refusal, clean_optional_text, clean_text, names};
use crate::validation::FieldError;

/// Where a report stands in the township's inbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InboxState {
    New,
    Acknowledged,
    MoreInfoRequested,
    Closed,
}

/// A step on a report in the inbox. The names are what the inbox timeline stores and
/// what the phone receives on its next pull.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InboxStep {
    /// A clerk has read it and the township has it in hand.
    Acknowledge,
    /// A clerk asks the officer for more.
    RequestInfo,
    /// The officer answers a request for more (sent from the phone).
    Supplement,
    /// A clerk closes it with a note saying how it ended.
    Close,
}

names!(InboxState { New => "new", Acknowledged => "acknowledged", MoreInfoRequested => "more_info_requested", Closed => "closed" });
names!(InboxStep { Acknowledge => "acknowledge", RequestInfo => "request_info", Supplement => "supplement", Close => "close" });

/// One row of the inbox machine.
#[derive(Debug, Clone, Copy)]
pub struct InboxTransition {
    pub step: InboxStep,
    pub from: &'static [InboxState],
    pub to: InboxState,
    pub roles: &'static [Role],
    pub note_required: bool,
}

use InboxState as I;

pub const INBOX: [InboxTransition; 4] = [
    InboxTransition {
        step: InboxStep::Acknowledge,
        from: &[I::New],
        to: I::Acknowledged,
        roles: &[Role::Clerk],
        note_required: false,
    },
    InboxTransition {
        step: InboxStep::RequestInfo,
        from: &[I::New, I::Acknowledged],
        to: I::MoreInfoRequested,
        roles: &[Role::Clerk],
        note_required: true,
    },
    // The answer puts the report back in front of the clerks.
    InboxTransition {
        step: InboxStep::Supplement,
        from: &[I::MoreInfoRequested],
        to: I::New,
        roles: &[Role::InfoOfficer, Role::GridWorker],
        note_required: true,
    },
    InboxTransition {
        step: InboxStep::Close,
        from: &[I::New, I::Acknowledged, I::MoreInfoRequested],
        to: I::Closed,
        roles: &[Role::Clerk],
        note_required: true,
    },
];

impl InboxStep {
    pub fn transition(self) -> &'static InboxTransition {
        match INBOX.iter().find(|t| t.step == self) {
            Some(t) => t,
            None => unreachable!("every InboxStep has a row in INBOX"),
        }
    }
}

impl InboxState {
    /// The state after `role` takes `step`, or why not.
    pub fn apply(self, role: Role, step: InboxStep) -> Result<InboxState, Refusal> {
        let t = step.transition();
        if !t.from.contains(&self) {
            return Err(Refusal::NotAllowedInState);
        }
        if !t.roles.contains(&role) {
            return Err(Refusal::NotYourStep);
        }
        Ok(t.to)
    }

    pub fn open_steps(self, role: Role) -> Vec<InboxStep> {
        InboxStep::ALL
            .iter()
            .copied()
            .filter(|s| self.apply(role, *s).is_ok())
            .collect()
    }
}

/// The note of a step: required where the table says so, at most [`NOTE_MAX`].
pub fn check_note(step: InboxStep, raw: &str) -> Result<Option<String>, FieldError> {
    if step.transition().note_required {
        clean_text("note", raw, NOTE_MAX).map(Some)
    } else {
        clean_optional_text("note", raw, NOTE_MAX)
    }
}

/// The township inbox's filter. Empty fields match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct InboxFilter {
    pub village_id: Option<i64>,
    pub severity: Option<Severity>,
    pub state: Option<InboxState>,
    pub urgent_only: bool,
    /// Everything not yet closed (the inbox page's default view).
    pub open_only: bool,
    /// 1-based.
    pub page: u32,
}

impl InboxFilter {
    /// The inbox page's view: what is still open unless another state (or `all`) is asked for.
    pub fn from_query<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut f = InboxFilter {
            open_only: true,
            page: 1,
            ..InboxFilter::default()
        };
        for (key, value) in pairs {
            let value = value.trim();
            match key {
                "village" => f.village_id = value.parse().ok(),
                "severity" => f.severity = Severity::parse(value),
                "state" => {
                    (f.state, f.open_only) = match (value, InboxState::parse(value)) {
                        ("all", _) => (None, false),
                        (_, Some(s)) => (Some(s), false),
                        // `open`, empty or unknown: the default view.
                        (_, None) => (None, true),
                    }
                }
                "urgent" => f.urgent_only = matches!(value, "1" | "true" | "on"),
                "page" => f.page = value.parse().unwrap_or(1).max(1),
                _ => {}
            }
        }
        f
    }

    /// The query string pairs for this filter (without the page), for links.
    pub fn to_query(&self) -> Vec<(&'static str, String)> {
        let mut q = Vec::new();
        if let Some(v) = self.village_id {
            q.push(("village", v.to_string()));
        }
        if let Some(s) = self.severity {
            q.push(("severity", s.as_str().to_owned()));
        }
        let state = match (self.state, self.open_only) {
            (Some(s), _) => s.as_str(),
            (None, true) => "open",
            (None, false) => "all",
        };
        q.push(("state", state.to_owned()));
        if self.urgent_only {
            q.push(("urgent", "1".to_owned()));
        }
        q
    }
}

/// The inbox's page size.
pub const INBOX_PAGE: u32 = 50;

/// One report as the inbox lists it: urgent ones first, then newest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldReportSummary {
    pub id: i64,
    pub client_id: String,
    pub village_id: i64,
    pub village_name: String,
    pub grid_id: Option<i64>,
    pub kind: String,
    pub category: Category,
    pub severity: Severity,
    pub urgent: bool,
    pub state: InboxState,
    pub place: String,
    pub description: String,
    pub needs_township: bool,
    /// Who is involved, and how many people.
    pub parties: Option<String>,
    pub person_count: Option<i64>,
    pub author: String,
    pub found_at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    /// Photos the report names, and how many of them have fully arrived.
    pub photos_named: i64,
    pub photos_attached: i64,
}

/// One page of the township inbox, with the township's kinds to name each report's kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboxPage {
    pub rows: Vec<FieldReportSummary>,
    /// Every report the filter matches, on all pages.
    pub total: i64,
    pub page: u32,
    pub kinds: Vec<ReportKind>,
}

impl InboxPage {
    pub fn pages(&self) -> i64 {
        let size = i64::from(INBOX_PAGE);
        ((self.total + size - 1) / size).max(1)
    }

    pub fn has_next(&self) -> bool {
        i64::from(self.page) < self.pages()
    }
}

/// A photo a report names: where it stands in the report (1–5), and whether its upload
/// by the report's author is complete (only then can it be shown).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportPhoto {
    pub position: i64,
    pub photo_uuid: String,
    pub complete: bool,
}

/// One line of a report's inbox timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxEvent {
    pub at: DateTime<Utc>,
    pub step: InboxStep,
    pub from: InboxState,
    pub to: InboxState,
    /// Who took the step (a clerk, or the officer answering).
    pub actor: Option<String>,
    pub note: Option<String>,
}

/// A whole report as the township reads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldReportDetail {
    pub summary: FieldReportSummary,
    pub grid_name: Option<String>,
    pub gps: Option<Gps>,
    pub action_taken: Option<String>,
    /// When the officer finished it on the phone (never later than its arrival).
    pub created_at: DateTime<Utc>,
    pub photos: Vec<ReportPhoto>,
    pub history: Vec<InboxEvent>,
}

/// A report with the inbox steps the reader may take on it now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportView {
    pub detail: FieldReportDetail,
    pub open_steps: Vec<InboxStep>,
    pub kinds: Vec<ReportKind>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validation::Problem;

    /// The specification, written apart from the table: from-states, to-state, roles.
    fn spec(step: InboxStep) -> (Vec<InboxState>, InboxState, Vec<Role>) {
        use InboxStep::*;
        match step {
            Acknowledge => (vec![I::New], I::Acknowledged, vec![Role::Clerk]),
            RequestInfo => (
                vec![I::New, I::Acknowledged],
                I::MoreInfoRequested,
                vec![Role::Clerk],
            ),
            Supplement => (
                vec![I::MoreInfoRequested],
                I::New,
                vec![Role::InfoOfficer, Role::GridWorker],
            ),
            Close => (
                vec![I::New, I::Acknowledged, I::MoreInfoRequested],
                I::Closed,
                vec![Role::Clerk],
            ),
        }
    }

    #[test]
    fn every_inbox_state_step_and_role_is_as_specified() {
        assert_eq!(InboxStep::ALL.len(), INBOX.len());
        for &step in InboxStep::ALL {
            let (from, to, roles) = spec(step);
            for &state in InboxState::ALL {
                for role in Role::ALL {
                    let got = state.apply(role, step);
                    let want = if !from.contains(&state) {
                        Err(Refusal::NotAllowedInState)
                    } else if !roles.contains(&role) {
                        Err(Refusal::NotYourStep)
                    } else {
                        Ok(to)
                    };
                    assert_eq!(got, want, "{step:?} from {state:?} by {role:?}");
                }
            }
        }
        // Closed is final for everyone.
        for role in Role::ALL {
            assert!(InboxState::Closed.open_steps(role).is_empty());
        }
        assert_eq!(
            InboxState::New.open_steps(Role::Clerk),
            vec![InboxStep::Acknowledge, InboxStep::RequestInfo, InboxStep::Close]
        );
        assert_eq!(
            InboxState::MoreInfoRequested.open_steps(Role::InfoOfficer),
            vec![InboxStep::Supplement]
        );
    }

    #[test]
    fn a_question_a_closure_and_an_answer_need_a_note() {
        assert_eq!(check_note(InboxStep::Acknowledge, " ").unwrap(), None);
        for step in [InboxStep::RequestInfo, InboxStep::Close, InboxStep::Supplement] {
            assert_eq!(
                check_note(step, "").unwrap_err().problem,
                Problem::Required,
                "{step:?}"
            );
        }
        assert_eq!(
            check_note(InboxStep::Close, " 已调解 ").unwrap().as_deref(),
            Some("已调解")
        );
        assert_eq!(
            check_note(InboxStep::Close, &"长".repeat(NOTE_MAX + 1))
                .unwrap_err()
                .problem,
            Problem::TooLong
        );
    }

    #[test]
    fn the_inbox_filter_reads_and_writes_its_address() {
        let f = InboxFilter::from_query([]);
        assert!(f.open_only && f.state.is_none() && f.page == 1);
        let f = InboxFilter::from_query([
            ("village", "12"),
            ("severity", "urgent"),
            ("state", "closed"),
            ("urgent", "1"),
            ("page", "0"),
        ]);
        assert_eq!(
            (
                f.village_id,
                f.severity,
                f.state,
                f.open_only,
                f.urgent_only,
                f.page
            ),
            (
                Some(12),
                Some(Severity::Urgent),
                Some(InboxState::Closed),
                false,
                true,
                1
            )
        );
        let back = f.to_query();
        let again = InboxFilter::from_query(back.iter().map(|(k, v)| (*k, v.as_str())));
        assert_eq!(again, f);
        let all = InboxFilter::from_query([("state", "all"), ("severity", "apocalyptic")]);
        assert!(!all.open_only && all.state.is_none() && all.severity.is_none());
        assert!(InboxFilter::from_query([("state", "bogus")]).open_only);
    }
}
