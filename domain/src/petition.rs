//! The petition (信访事项): its kinds and channels, and its whole lifecycle as one state
//! machine (《信访工作条例》 Art. 21–36). Every state the regulations know is here, with
//! every step between them, who may take it and what it must record; storage and the
//! server only ask this module whether a step is allowed and what it leads to.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::auth::Role;
use crate::validation::{FieldError, Problem};

/// How a petition arrived (Art. 17; an agent files for a resident).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Letter,
    Visit,
    Phone,
    Fax,
    Online,
    Agent,
}

/// The three kinds of matter (Art. 29–31).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PetitionKind {
    /// 建议意见
    Suggestion,
    /// 检举控告: names a person or unit, who must never learn who reported them.
    ReportAccusation,
    /// 申诉求决
    RequestComplaint,
}

/// Where a petition stands. The names are the i18n keys (`petition_state.<name>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PetitionState {
    /// Filed online or by an agent, waiting in the office's inbox to be registered.
    Submitted,
    Registered,
    Forwarded,
    Assigned,
    Accepted,
    Declined,
    InHandling,
    Extended,
    Replied,
    Evaluated,
    ReviewRequested,
    Reviewed,
    ReReviewRequested,
    ReReviewed,
    Concluded,
    Withdrawn,
}

/// A step of the lifecycle. The names are the i18n keys (`petition_step.<name>`) and what
/// the timeline stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Register,
    /// 转送: to the competent body, which then handles it.
    Forward,
    /// 交办: to a department of the township, with a deadline.
    Assign,
    Accept,
    /// 不予受理, with reasons given to the petitioner.
    Decline,
    /// A unit objects that a forwarded or assigned case is not its own (Art. 23 ¶3).
    Return,
    StartHandling,
    /// At most once, by up to 30 days, approved by the unit's head (Art. 34).
    Extend,
    /// The written decision (处理意见书); may be amended until it is delivered.
    RecordDecision,
    /// The written decision is delivered to the petitioner; starts the review clock.
    Reply,
    Evaluate,
    RequestReview,
    DecideReview,
    RequestReReview,
    DecideReReview,
    Conclude,
    Withdraw,
}

/// Who takes a step: staff by role, or the petitioner (through `/track`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    Petitioner,
    Staff(Role),
}

/// The outcome of a written decision (Art. 32).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionOutcome {
    Supported,
    Explained,
    NotSupported,
}

/// The petitioner's rating of the reply (满意度评价).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rating {
    Satisfied,
    BasicallySatisfied,
    Dissatisfied,
}

/// The stable snake_case names, for TEXT columns, forms and i18n keys.
macro_rules! names {
    ($ty:ident { $($variant:ident => $name:literal),* $(,)? }) => {
        impl $ty {
            pub const ALL: &'static [$ty] = &[$($ty::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $($ty::$variant => $name),* }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s { $($name => Some($ty::$variant),)* _ => None }
            }
        }
    };
}
pub(crate) use names;

names!(Channel { Letter => "letter", Visit => "visit", Phone => "phone", Fax => "fax", Online => "online", Agent => "agent" });
names!(PetitionKind { Suggestion => "suggestion", ReportAccusation => "report_accusation", RequestComplaint => "request_complaint" });
names!(PetitionState {
    Submitted => "submitted", Registered => "registered", Forwarded => "forwarded", Assigned => "assigned",
    Accepted => "accepted", Declined => "declined", InHandling => "in_handling", Extended => "extended",
    Replied => "replied", Evaluated => "evaluated", ReviewRequested => "review_requested", Reviewed => "reviewed",
    ReReviewRequested => "re_review_requested", ReReviewed => "re_reviewed", Concluded => "concluded", Withdrawn => "withdrawn",
});
names!(Step {
    Register => "register", Forward => "forward", Assign => "assign", Accept => "accept", Decline => "decline",
    Return => "return", StartHandling => "start_handling", Extend => "extend", RecordDecision => "record_decision",
    Reply => "reply", Evaluate => "evaluate", RequestReview => "request_review", DecideReview => "decide_review",
    RequestReReview => "request_re_review", DecideReReview => "decide_re_review", Conclude => "conclude", Withdraw => "withdraw",
});
names!(DecisionOutcome { Supported => "supported", Explained => "explained", NotSupported => "not_supported" });
names!(Rating { Satisfied => "satisfied", BasicallySatisfied => "basically_satisfied", Dissatisfied => "dissatisfied" });

impl PetitionState {
    /// No step leads out of these.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Declined | Self::Concluded | Self::Withdrawn)
    }

    /// Handling is finished (办结): a written reply was delivered.
    pub fn is_closed(self) -> bool {
        matches!(
            self,
            Self::Replied
                | Self::Evaluated
                | Self::ReviewRequested
                | Self::Reviewed
                | Self::ReReviewRequested
                | Self::ReReviewed
                | Self::Concluded
        )
    }

    /// Waiting for the petition office to do something (the intake queue).
    pub fn awaits_office(self) -> bool {
        matches!(self, Self::Submitted | Self::Registered)
    }
}

/// Where a step may start and where it leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leads {
    To(PetitionState),
    /// The state does not change (a decision is recorded or amended).
    Stays,
}

/// One row of the lifecycle: a step, the states it may start from, where it leads, and
/// who may take it. The whole machine is this table.
#[derive(Debug, Clone, Copy)]
pub struct Transition {
    pub step: Step,
    pub from: &'static [PetitionState],
    pub leads: Leads,
    pub roles: &'static [Role],
    pub petitioner: bool,
}

use PetitionState as S;

const OPEN_BEFORE_REPLY: &[PetitionState] = &[
    S::Submitted,
    S::Registered,
    S::Forwarded,
    S::Assigned,
    S::Accepted,
    S::InHandling,
    S::Extended,
];

pub const LIFECYCLE: [Transition; 17] = [
    t(
        Step::Register,
        &[S::Submitted],
        Leads::To(S::Registered),
        &[Role::Clerk],
        false,
    ),
    t(
        Step::Forward,
        &[S::Registered],
        Leads::To(S::Forwarded),
        &[Role::Clerk],
        false,
    ),
    t(
        Step::Assign,
        &[S::Registered],
        Leads::To(S::Assigned),
        &[Role::Clerk],
        false,
    ),
    t(
        Step::Accept,
        &[S::Registered, S::Forwarded, S::Assigned],
        Leads::To(S::Accepted),
        &[Role::Clerk, Role::Handler],
        false,
    ),
    t(
        Step::Decline,
        &[S::Registered, S::Forwarded, S::Assigned],
        Leads::To(S::Declined),
        &[Role::Clerk, Role::Handler],
        false,
    ),
    t(
        Step::Return,
        &[S::Forwarded, S::Assigned],
        Leads::To(S::Registered),
        &[Role::Handler],
        false,
    ),
    t(
        Step::StartHandling,
        &[S::Accepted],
        Leads::To(S::InHandling),
        &[Role::Clerk, Role::Handler],
        false,
    ),
    t(
        Step::Extend,
        &[S::InHandling],
        Leads::To(S::Extended),
        &[Role::Clerk, Role::Handler],
        false,
    ),
    t(
        Step::RecordDecision,
        &[S::InHandling, S::Extended],
        Leads::Stays,
        &[Role::Clerk, Role::Handler],
        false,
    ),
    t(
        Step::Reply,
        &[S::InHandling, S::Extended],
        Leads::To(S::Replied),
        &[Role::Clerk, Role::Handler],
        false,
    ),
    // The petitioner rates online; an agent or clerk records a rating given by phone.
    t(
        Step::Evaluate,
        &[S::Replied],
        Leads::To(S::Evaluated),
        &[Role::Clerk, Role::PetitionAgent],
        true,
    ),
    t(
        Step::RequestReview,
        &[S::Replied, S::Evaluated],
        Leads::To(S::ReviewRequested),
        &[Role::Clerk, Role::PetitionAgent],
        true,
    ),
    // Decided by the unit one level up: its clerk or the case leader.
    t(
        Step::DecideReview,
        &[S::ReviewRequested],
        Leads::To(S::Reviewed),
        &[Role::Clerk, Role::CaseLeader],
        false,
    ),
    t(
        Step::RequestReReview,
        &[S::Reviewed],
        Leads::To(S::ReReviewRequested),
        &[Role::Clerk, Role::PetitionAgent],
        true,
    ),
    t(
        Step::DecideReReview,
        &[S::ReReviewRequested],
        Leads::To(S::ReReviewed),
        &[Role::Clerk, Role::CaseLeader],
        false,
    ),
    t(
        Step::Conclude,
        &[S::ReReviewed],
        Leads::To(S::Concluded),
        &[Role::Clerk],
        false,
    ),
    t(
        Step::Withdraw,
        OPEN_BEFORE_REPLY,
        Leads::To(S::Withdrawn),
        &[Role::Clerk, Role::PetitionAgent],
        true,
    ),
];

const fn t(
    step: Step,
    from: &'static [PetitionState],
    leads: Leads,
    roles: &'static [Role],
    petitioner: bool,
) -> Transition {
    Transition {
        step,
        from,
        leads,
        roles,
        petitioner,
    }
}

impl Step {
    pub fn transition(self) -> &'static Transition {
        // The table has one row per step; the tests hold that.
        match LIFECYCLE.iter().find(|t| t.step == self) {
            Some(t) => t,
            None => unreachable!("every Step has a row in LIFECYCLE"),
        }
    }

    pub fn may_be_taken_by(self, actor: Actor) -> bool {
        let t = self.transition();
        match actor {
            Actor::Petitioner => t.petitioner,
            Actor::Staff(role) => t.roles.contains(&role),
        }
    }

    /// Shown on the petitioner's tracking page. Internal steps (a decision drafted, a
    /// case handed back between units) are not.
    pub fn is_public(self) -> bool {
        !matches!(self, Step::RecordDecision | Step::Return | Step::StartHandling)
    }
}

/// Why a step was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    #[error("not_allowed_in_state")]
    NotAllowedInState,
    #[error("not_your_step")]
    NotYourStep,
    /// A reply needs a written decision first.
    #[error("no_decision")]
    NoDecision,
}

/// The facts of a petition the machine needs, beyond its state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Case {
    pub state: PetitionState,
    pub has_decision: bool,
}

impl Case {
    pub fn new(state: PetitionState) -> Self {
        Self {
            state,
            has_decision: false,
        }
    }

    /// The case after `actor` takes `step`, or why they may not.
    pub fn apply(self, actor: Actor, step: Step) -> Result<Case, Refusal> {
        let t = step.transition();
        if !t.from.contains(&self.state) {
            return Err(Refusal::NotAllowedInState);
        }
        if !step.may_be_taken_by(actor) {
            return Err(Refusal::NotYourStep);
        }
        if step == Step::Reply && !self.has_decision {
            return Err(Refusal::NoDecision);
        }
        let state = match t.leads {
            Leads::To(s) => s,
            Leads::Stays => self.state,
        };
        Ok(Case {
            state,
            has_decision: self.has_decision || step == Step::RecordDecision,
        })
    }

    /// The steps open to `actor` now (the buttons a page shows).
    pub fn open_steps(self, actor: Actor) -> Vec<Step> {
        Step::ALL
            .iter()
            .copied()
            .filter(|s| self.apply(actor, *s).is_ok())
            .collect()
    }
}

/// The longest subject, in characters.
pub const SUBJECT_MAX: usize = 100;
/// The longest content, request or facts-and-reasons, in characters.
pub const TEXT_MAX: usize = 5000;
/// The most representatives a group visit may name (Art. 20).
pub const MAX_REPRESENTATIVES: usize = 5;
/// A collective petition has at least this many persons (集体访).
pub const COLLECTIVE_PERSONS: u32 = 5;

/// A longer free text: trimmed, required, at most `max` characters. Line breaks and tabs
/// are kept (people write paragraphs); other control characters are refused.
pub fn clean_text(field: &str, raw: &str, max: usize) -> Result<String, FieldError> {
    let text = raw.trim().replace("\r\n", "\n");
    if text.is_empty() {
        return Err(FieldError::new(field, Problem::Required));
    }
    if text.chars().count() > max {
        return Err(FieldError::new(field, Problem::TooLong));
    }
    if text.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(FieldError::new(field, Problem::ControlCharacters));
    }
    Ok(text)
}

/// An optional free text: blank is none.
pub fn clean_optional_text(field: &str, raw: &str, max: usize) -> Result<Option<String>, FieldError> {
    if raw.trim().is_empty() {
        Ok(None)
    } else {
        clean_text(field, raw, max).map(Some)
    }
}

/// The tracking code (查询码) a petitioner follows a petition with: the day it was
/// received and its number that day, e.g. `XF-20261123-0042`. Readable over the phone.
pub fn tracking_code(day: NaiveDate, number: u32) -> String {
    format!("XF-{}-{number:04}", day.format("%Y%m%d"))
}

/// A tracking code as people type it (lower case, spaces, full-width dashes) in the
/// stored form, or None if it cannot be one.
pub fn normalize_tracking_code(raw: &str) -> Option<String> {
    let code: String = crate::validation::half_width(raw)
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '－' | '—' | '–' | '_' => '-',
            c => c.to_ascii_uppercase(),
        })
        .collect();
    let mut parts = code.split('-');
    let ok = parts.next() == Some("XF")
        && parts
            .next()
            .is_some_and(|d| NaiveDate::parse_from_str(d, "%Y%m%d").is_ok() && d.len() == 8)
        && parts
            .next()
            .is_some_and(|n| n.len() >= 4 && n.len() <= 9 && n.chars().all(|c| c.is_ascii_digit()))
        && parts.next().is_none();
    ok.then_some(code)
}

/// The characters of a query password (查询密码): no 0/O, 1/I/L, so it can be read off a
/// receipt and typed on a phone without mistakes.
pub const QUERY_PASSWORD_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
/// Ten characters of that alphabet: about 50 bits, far beyond guessing at the rate
/// `/track` allows, which is why a fast hash is enough to store it.
pub const QUERY_PASSWORD_LEN: usize = 10;

/// A query password as typed: spaces dropped, upper case.
pub fn normalize_query_password(raw: &str) -> String {
    crate::validation::half_width(raw)
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeSet, HashSet, VecDeque};

    fn actors() -> Vec<Actor> {
        let mut all: Vec<Actor> = Role::ALL.iter().map(|r| Actor::Staff(*r)).collect();
        all.push(Actor::Petitioner);
        all
    }

    /// The specification, written out independently of the table above: for each step,
    /// the states it starts from and the state it leads to (None: stays).
    fn spec(step: Step) -> (Vec<PetitionState>, Option<PetitionState>) {
        use Step::*;
        match step {
            Register => (vec![S::Submitted], Some(S::Registered)),
            Forward => (vec![S::Registered], Some(S::Forwarded)),
            Assign => (vec![S::Registered], Some(S::Assigned)),
            Accept => (vec![S::Registered, S::Forwarded, S::Assigned], Some(S::Accepted)),
            Decline => (vec![S::Registered, S::Forwarded, S::Assigned], Some(S::Declined)),
            Return => (vec![S::Forwarded, S::Assigned], Some(S::Registered)),
            StartHandling => (vec![S::Accepted], Some(S::InHandling)),
            Extend => (vec![S::InHandling], Some(S::Extended)),
            RecordDecision => (vec![S::InHandling, S::Extended], None),
            Reply => (vec![S::InHandling, S::Extended], Some(S::Replied)),
            Evaluate => (vec![S::Replied], Some(S::Evaluated)),
            RequestReview => (vec![S::Replied, S::Evaluated], Some(S::ReviewRequested)),
            DecideReview => (vec![S::ReviewRequested], Some(S::Reviewed)),
            RequestReReview => (vec![S::Reviewed], Some(S::ReReviewRequested)),
            DecideReReview => (vec![S::ReReviewRequested], Some(S::ReReviewed)),
            Conclude => (vec![S::ReReviewed], Some(S::Concluded)),
            Withdraw => (
                vec![
                    S::Submitted,
                    S::Registered,
                    S::Forwarded,
                    S::Assigned,
                    S::Accepted,
                    S::InHandling,
                    S::Extended,
                ],
                Some(S::Withdrawn),
            ),
        }
    }

    #[test]
    fn every_state_and_step_pair_is_as_specified() {
        for &step in Step::ALL {
            let (from, to) = spec(step);
            for &state in PetitionState::ALL {
                for has_decision in [false, true] {
                    let case = Case { state, has_decision };
                    let anyone = actors().into_iter().find(|a| step.may_be_taken_by(*a));
                    let Some(actor) = anyone else {
                        panic!("nobody may take {step:?}");
                    };
                    let got = case.apply(actor, step);
                    if !from.contains(&state) {
                        assert_eq!(got, Err(Refusal::NotAllowedInState), "{step:?} from {state:?}");
                    } else if step == Step::Reply && !has_decision {
                        assert_eq!(got, Err(Refusal::NoDecision), "{step:?} from {state:?}");
                    } else {
                        assert_eq!(
                            got.map(|c| c.state),
                            Ok(to.unwrap_or(state)),
                            "{step:?} from {state:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn only_the_named_actors_take_each_step() {
        use Role::*;
        let who = |step: Step| -> (Vec<Role>, bool) {
            match step {
                Step::Register | Step::Forward | Step::Assign | Step::Conclude => (vec![Clerk], false),
                Step::Return => (vec![Handler], false),
                Step::Accept
                | Step::Decline
                | Step::StartHandling
                | Step::Extend
                | Step::RecordDecision
                | Step::Reply => (vec![Clerk, Handler], false),
                Step::Evaluate | Step::RequestReview | Step::RequestReReview | Step::Withdraw => {
                    (vec![Clerk, PetitionAgent], true)
                }
                Step::DecideReview | Step::DecideReReview => (vec![Clerk, CaseLeader], false),
            }
        };
        for &step in Step::ALL {
            let (roles, petitioner) = who(step);
            for actor in actors() {
                let expected = match actor {
                    Actor::Petitioner => petitioner,
                    Actor::Staff(r) => roles.contains(&r),
                };
                assert_eq!(step.may_be_taken_by(actor), expected, "{step:?} by {actor:?}");
                // And the machine enforces it, whatever the state.
                let (from, _) = spec(step);
                let case = Case {
                    state: from[0],
                    has_decision: true,
                };
                if !expected {
                    assert_eq!(case.apply(actor, step), Err(Refusal::NotYourStep));
                }
            }
        }
        // Info officers, grid workers and admins take no step on a petition.
        for role in [Admin, InfoOfficer, GridWorker] {
            assert!(Step::ALL.iter().all(|s| !s.may_be_taken_by(Actor::Staff(role))));
        }
    }

    /// Things that must hold in every case the machine can reach.
    fn invariants(case: Case, path: &[Step]) {
        let s = case.state;
        if s.is_closed() {
            assert!(case.has_decision, "{s:?} without a decision via {path:?}");
            assert!(path.contains(&Step::Reply), "{s:?} without a reply via {path:?}");
        }
        if s == S::Extended || (s.is_closed() && path.contains(&Step::Extend)) {
            assert_eq!(path.iter().filter(|p| **p == Step::Extend).count(), 1, "{path:?}");
        }
        if s == S::Concluded {
            assert!(path.contains(&Step::DecideReReview), "{path:?}");
        }
        if s == S::Declined {
            assert!(
                !path.contains(&Step::Accept),
                "declined after acceptance: {path:?}"
            );
        }
        if s.is_final() {
            for actor in actors() {
                assert!(case.open_steps(actor).is_empty(), "{s:?} has a way out");
            }
        }
    }

    /// Every sequence of steps, by every actor, from a new online petition: breadth first
    /// over (case, how many times each looping step was taken), checking the invariants
    /// at every case reached. Loops (return and re-route) are bounded at three turns.
    #[test]
    fn no_sequence_of_steps_reaches_an_impossible_case() {
        let mut seen: HashSet<(Case, usize)> = HashSet::new();
        let mut reached: BTreeSet<PetitionState> = BTreeSet::new();
        let mut queue = VecDeque::from([(Case::new(S::Submitted), Vec::<Step>::new())]);
        let mut explored = 0;
        while let Some((case, path)) = queue.pop_front() {
            invariants(case, &path);
            reached.insert(case.state);
            explored += 1;
            let loops = path
                .iter()
                .filter(|s| matches!(s, Step::Return | Step::RecordDecision))
                .count();
            if loops > 3 || !seen.insert((case, loops)) {
                continue;
            }
            for actor in actors() {
                for &step in Step::ALL {
                    if let Ok(next) = case.apply(actor, step) {
                        let mut p = path.clone();
                        p.push(step);
                        queue.push_back((next, p));
                    }
                }
            }
        }
        assert!(explored > 100, "{explored}");
        // And every state is reachable.
        assert_eq!(reached.len(), PetitionState::ALL.len(), "{reached:?}");
    }

    #[test]
    fn a_petition_goes_from_the_form_to_an_evaluated_reply() {
        let clerk = Actor::Staff(Role::Clerk);
        let handler = Actor::Staff(Role::Handler);
        let mut case = Case::new(S::Submitted);
        for (actor, step) in [
            (clerk, Step::Register),
            (clerk, Step::Assign),
            (handler, Step::Accept),
            (handler, Step::StartHandling),
            (handler, Step::RecordDecision),
            (clerk, Step::Reply),
            (Actor::Petitioner, Step::Evaluate),
        ] {
            case = case.apply(actor, step).unwrap();
        }
        assert_eq!(case.state, S::Evaluated);
        // A reply without a decision is refused, and the office cannot extend twice.
        let handling = Case::new(S::InHandling);
        assert_eq!(handling.apply(handler, Step::Reply), Err(Refusal::NoDecision));
        let extended = handling.apply(handler, Step::Extend).unwrap();
        assert_eq!(
            extended.apply(handler, Step::Extend),
            Err(Refusal::NotAllowedInState)
        );
    }

    #[test]
    fn tracking_codes_are_readable_and_forgiving() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        assert_eq!(tracking_code(day, 42), "XF-20261123-0042");
        assert_eq!(tracking_code(day, 12345), "XF-20261123-12345");
        assert_eq!(
            normalize_tracking_code(" xf－20261123－0042 ").as_deref(),
            Some("XF-20261123-0042")
        );
        for bad in [
            "",
            "XF-20261323-0042",
            "XF-20261123-42",
            "AB-20261123-0042",
            "XF-20261123-0042-1",
        ] {
            assert_eq!(normalize_tracking_code(bad), None, "{bad}");
        }
        assert_eq!(normalize_query_password(" abcd-efgh 23 "), "ABCDEFGH23");
    }

    #[test]
    fn names_round_trip() {
        for s in PetitionState::ALL {
            assert_eq!(PetitionState::parse(s.as_str()), Some(*s));
            assert_eq!(serde_json::to_string(s).unwrap(), format!("\"{}\"", s.as_str()));
        }
        for s in Step::ALL {
            assert_eq!(Step::parse(s.as_str()), Some(*s));
        }
        assert_eq!(Step::ALL.len(), LIFECYCLE.len());
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.as_str()), Some(*c));
        }
    }

    #[test]
    fn texts_keep_paragraphs_and_refuse_control_characters() {
        assert_eq!(
            clean_text("content", " 第一段\r\n第二段 ", 100).unwrap(),
            "第一段\n第二段"
        );
        assert_eq!(
            clean_text("content", "  ", 100).unwrap_err().problem,
            Problem::Required
        );
        assert_eq!(
            clean_text("content", "a\u{0}b", 100).unwrap_err().problem,
            Problem::ControlCharacters
        );
        assert_eq!(clean_optional_text("facts", " ", 10).unwrap(), None);
    }
}
