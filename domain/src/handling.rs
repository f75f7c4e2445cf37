//! What each step of the lifecycle must record, checked from the step form as typed:
//! where a case is forwarded or assigned, the reasons for a decline, an extension's
//! days, reason and approver, the written decision's four parts and outcome, the date a
//! reply was delivered, the petitioner's rating.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::intake::NAME_MAX;
use crate::petition::{DecisionOutcome, Rating, Step, TEXT_MAX, clean_optional_text, clean_text};
use crate::validation::{FieldError, Problem, half_width};

/// An extension adds at most this many days, once (Art. 34).
pub const MAX_EXTENSION_DAYS: i64 = 30;

/// A step form as typed; which fields matter depends on the step.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StepForm {
    pub department_id: String,
    pub forwarded_to: String,
    pub reasons: String,
    pub days: String,
    pub approved_by: String,
    pub request: String,
    pub facts_reasons: String,
    pub decision: String,
    pub legal_basis: String,
    pub outcome: String,
    pub delivered_on: String,
    pub rating: String,
    pub comment: String,
    /// An internal note for the timeline (never shown to the petitioner).
    pub note: String,
}

/// The written decision's parts (Art. 32), before it is dated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionDraft {
    pub request: String,
    pub facts_reasons: String,
    pub decision: String,
    pub legal_basis: String,
    pub outcome: DecisionOutcome,
}

/// A checked step with what it records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum StepInput {
    Plain,
    Forward {
        to: String,
    },
    Assign {
        department_id: i64,
    },
    /// Decline or return: the reasons (a decline's are told to the petitioner).
    Reasons {
        reasons: String,
    },
    Extend {
        days: i64,
        reason: String,
        approved_by: String,
    },
    Decide(DecisionDraft),
    Reply {
        delivered_on: NaiveDate,
    },
    Evaluate {
        rating: Rating,
        comment: Option<String>,
    },
}

/// Checks what `step` must record. `accepted_on` bounds a reply's delivery date from
/// below, `today` from above.
pub fn check_step(
    step: Step,
    form: &StepForm,
    today: NaiveDate,
    accepted_on: Option<NaiveDate>,
) -> Result<(StepInput, Option<String>), Vec<FieldError>> {
    let note = clean_optional_text("note", &form.note, TEXT_MAX).map_err(|e| vec![e])?;
    let input = match step {
        Step::Forward => StepInput::Forward {
            to: clean_text("forwarded_to", &form.forwarded_to, NAME_MAX * 2).map_err(|e| vec![e])?,
        },
        Step::Assign => StepInput::Assign {
            department_id: half_width(&form.department_id)
                .trim()
                .parse()
                .map_err(|_| vec![FieldError::new("department_id", Problem::Required)])?,
        },
        Step::Decline | Step::Return | Step::Withdraw => StepInput::Reasons {
            reasons: clean_text("reasons", &form.reasons, TEXT_MAX).map_err(|e| vec![e])?,
        },
        Step::Extend => check_extension(form)?,
        Step::RecordDecision | Step::DecideReview | Step::DecideReReview => {
            StepInput::Decide(check_decision(form)?)
        }
        Step::Reply => {
            let bad = || vec![FieldError::new("delivered_on", Problem::BadDate)];
            let raw = half_width(&form.delivered_on);
            let raw = raw.trim();
            if raw.is_empty() {
                return Err(vec![FieldError::new("delivered_on", Problem::Required)]);
            }
            let day = NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| bad())?;
            if day > today || accepted_on.is_some_and(|a| day < a) {
                return Err(bad());
            }
            StepInput::Reply { delivered_on: day }
        }
        Step::Evaluate => StepInput::Evaluate {
            rating: match form.rating.trim() {
                "" => return Err(vec![FieldError::new("rating", Problem::Required)]),
                r => {
                    Rating::parse(r).ok_or_else(|| vec![FieldError::new("rating", Problem::UnknownValue)])?
                }
            },
            comment: clean_optional_text("comment", &form.comment, TEXT_MAX).map_err(|e| vec![e])?,
        },
        Step::Register
        | Step::Accept
        | Step::StartHandling
        | Step::RequestReview
        | Step::RequestReReview
        | Step::Conclude => StepInput::Plain,
    };
    Ok((input, note))
}

fn check_extension(form: &StepForm) -> Result<StepInput, Vec<FieldError>> {
    let mut errors = Vec::new();
    let days = half_width(&form.days)
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|d| (1..=MAX_EXTENSION_DAYS).contains(d));
    if days.is_none() {
        errors.push(FieldError::new("days", Problem::BadNumber));
    }
    let reason = clean_text("reasons", &form.reasons, TEXT_MAX)
        .map_err(|e| errors.push(e))
        .ok();
    let approved_by = crate::validation::clean_name("approved_by", &form.approved_by, NAME_MAX)
        .map_err(|e| errors.push(e))
        .ok();
    match (days, reason, approved_by) {
        (Some(days), Some(reason), Some(approved_by)) => Ok(StepInput::Extend {
            days,
            reason,
            approved_by,
        }),
        _ => Err(errors),
    }
}

fn check_decision(form: &StepForm) -> Result<DecisionDraft, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut text = |field: &str, raw: &str| clean_text(field, raw, TEXT_MAX).map_err(|e| errors.push(e)).ok();
    let request = text("request", &form.request);
    let facts_reasons = text("facts_reasons", &form.facts_reasons);
    let decision = text("decision", &form.decision);
    let legal_basis = text("legal_basis", &form.legal_basis);
    let outcome = match form.outcome.trim() {
        "" => {
            errors.push(FieldError::new("outcome", Problem::Required));
            None
        }
        o => DecisionOutcome::parse(o).or_else(|| {
            errors.push(FieldError::new("outcome", Problem::UnknownValue));
            None
        }),
    };
    match (request, facts_reasons, decision, legal_basis, outcome) {
        (Some(request), Some(facts_reasons), Some(decision), Some(legal_basis), Some(outcome)) => {
            Ok(DecisionDraft {
                request,
                facts_reasons,
                decision,
                legal_basis,
                outcome,
            })
        }
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }

    fn fields(r: Result<(StepInput, Option<String>), Vec<FieldError>>) -> Vec<(String, Problem)> {
        r.unwrap_err().into_iter().map(|e| (e.field, e.problem)).collect()
    }

    #[test]
    fn a_decision_needs_all_four_parts_and_an_outcome() {
        let empty = check_step(Step::RecordDecision, &StepForm::default(), today(), None);
        assert_eq!(
            fields(empty),
            [
                ("request".into(), Problem::Required),
                ("facts_reasons".into(), Problem::Required),
                ("decision".into(), Problem::Required),
                ("legal_basis".into(), Problem::Required),
                ("outcome".into(), Problem::Required),
            ]
        );
        let form = StepForm {
            request: "修路".into(),
            facts_reasons: "属实".into(),
            decision: "年内修复".into(),
            legal_basis: "《公路法》第四十三条".into(),
            outcome: "supported".into(),
            note: "内部备注".into(),
            ..StepForm::default()
        };
        let (input, note) = check_step(Step::RecordDecision, &form, today(), None).unwrap();
        assert!(matches!(input, StepInput::Decide(d) if d.outcome == DecisionOutcome::Supported));
        assert_eq!(note.as_deref(), Some("内部备注"));
    }

    #[test]
    fn an_extension_is_at_most_thirty_days_with_reason_and_approver() {
        let form = StepForm {
            days: "31".into(),
            ..StepForm::default()
        };
        assert_eq!(
            fields(check_step(Step::Extend, &form, today(), None)),
            [
                ("days".into(), Problem::BadNumber),
                ("reasons".into(), Problem::Required),
                ("approved_by".into(), Problem::Required),
            ]
        );
        let ok = StepForm {
            days: "30".into(),
            reasons: "需现场勘查".into(),
            approved_by: "王镇长".into(),
            ..StepForm::default()
        };
        assert!(check_step(Step::Extend, &ok, today(), None).is_ok());
    }

    #[test]
    fn a_reply_is_delivered_between_acceptance_and_today() {
        let on = |d: &str| StepForm {
            delivered_on: d.into(),
            ..StepForm::default()
        };
        let accepted = NaiveDate::from_ymd_opt(2026, 11, 10);
        assert!(check_step(Step::Reply, &on("2026-11-20"), today(), accepted).is_ok());
        for bad in ["2026-11-24", "2026-11-09", "20.11.2026"] {
            assert_eq!(
                fields(check_step(Step::Reply, &on(bad), today(), accepted)),
                [("delivered_on".into(), Problem::BadDate)],
                "{bad}"
            );
        }
    }

    #[test]
    fn routing_names_its_target_and_a_decline_its_reasons() {
        assert_eq!(
            fields(check_step(Step::Assign, &StepForm::default(), today(), None)),
            [("department_id".into(), Problem::Required)]
        );
        assert_eq!(
            fields(check_step(Step::Decline, &StepForm::default(), today(), None)),
            [("reasons".into(), Problem::Required)]
        );
        assert_eq!(
            fields(check_step(Step::Evaluate, &StepForm::default(), today(), None)),
            [("rating".into(), Problem::Required)]
        );
        assert!(check_step(Step::Accept, &StepForm::default(), today(), None).is_ok());
    }
}
