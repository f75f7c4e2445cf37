//! Taking a petition in: the form as typed (by a citizen online, a clerk at the desk or an
//! agent for a resident), its checks, and the clean record they produce. The same checks
//! run in the browser as the person types and on the server when the form arrives, so
//! the two can never disagree.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::petition::{
    COLLECTIVE_PERSONS, Channel, MAX_REPRESENTATIVES, PetitionKind, SUBJECT_MAX, TEXT_MAX,
    clean_optional_text, clean_text,
};
use crate::resident_id::clean_resident_id;
use crate::validation::{FieldError, Problem, clean_name, clean_phone, half_width};

/// The longest name, address or unit, in characters.
pub const NAME_MAX: usize = 50;
pub const ADDRESS_MAX: usize = 200;

/// Where the form was filled in; decides what is required.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntakeSource {
    /// A citizen on the public form: identity, phone and consent are required.
    Public,
    /// A clerk at the office, for any channel.
    Office,
    /// A petition agent for a resident: the resident's consent is required.
    Agent,
}

/// The names of [`PetitionForm`]'s fields, in its order: as the page posts them, and the
/// order `check_form` reports problems in.
pub const FORM_FIELDS: [&str; 20] = [
    "channel",
    "kind",
    "village_id",
    "subject",
    "content",
    "request",
    "facts_reasons",
    "name",
    "resident_id",
    "phone",
    "address",
    "person_count",
    "batch_count",
    "representatives",
    "reported_name",
    "reported_unit",
    "reported_details",
    "received_on",
    "consent",
    "agent_consent",
];

/// The form exactly as typed: every field a string, so a form that fails its checks can
/// be shown again with nothing lost.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PetitionForm {
    pub channel: String,
    pub kind: String,
    pub village_id: String,
    pub subject: String,
    pub content: String,
    pub request: String,
    pub facts_reasons: String,
    pub name: String,
    pub resident_id: String,
    pub phone: String,
    pub address: String,
    pub person_count: String,
    pub batch_count: String,
    /// One representative per line (a group visit names at most five).
    pub representatives: String,
    pub reported_name: String,
    pub reported_unit: String,
    pub reported_details: String,
    /// The date it was received, for letters that arrived earlier (office only).
    pub received_on: String,
    /// "on" when the person agreed to the personal-information notice.
    pub consent: String,
    /// How the resident agreed to an agent filing for them (agent only).
    pub agent_consent: String,
}

/// Who filed it (信访人), kept apart from the content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PetitionerIdentity {
    pub name: String,
    pub resident_id: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
}

/// The person or unit a report or accusation names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportedParty {
    pub name: Option<String>,
    pub unit: Option<String>,
    pub details: Option<String>,
}

/// A visit's counts (批次/人次) and representatives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Visit {
    pub batch_count: u32,
    pub person_count: u32,
    pub collective: bool,
    pub representatives: Vec<String>,
}

/// A checked petition, ready to be stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPetition {
    pub channel: Channel,
    pub kind: PetitionKind,
    pub village_id: Option<i64>,
    pub subject: String,
    pub content: String,
    pub request: Option<String>,
    pub facts_reasons: Option<String>,
    pub petitioner: PetitionerIdentity,
    pub visit: Option<Visit>,
    pub reported: Option<ReportedParty>,
    pub received_on: Option<NaiveDate>,
    pub agent_consent: Option<String>,
}

/// Checks the whole form and returns every problem at once, in the form's order, so the
/// person can fix them all in one pass.
pub fn check_form(
    form: &PetitionForm,
    source: IntakeSource,
    today: NaiveDate,
) -> Result<NewPetition, Vec<FieldError>> {
    let mut errors = Errors(Vec::new());

    let channel = match source {
        IntakeSource::Public => Some(Channel::Online),
        IntakeSource::Agent => Some(Channel::Agent),
        IntakeSource::Office => errors.take(parse_choice("channel", &form.channel, Channel::parse)),
    };
    let kind = errors.take(parse_choice("kind", &form.kind, PetitionKind::parse));
    let village_id = match half_width(&form.village_id).trim() {
        "" if source == IntakeSource::Office => None,
        raw => errors.take(
            raw.parse::<i64>()
                .map_err(|_| FieldError::new("village_id", Problem::Required)),
        ),
    };
    let subject = errors.take(clean_text("subject", &form.subject, SUBJECT_MAX));
    let content = errors.take(clean_text("content", &form.content, TEXT_MAX));
    let request = errors
        .take(clean_optional_text("request", &form.request, TEXT_MAX))
        .flatten();
    let facts_reasons = errors
        .take(clean_optional_text(
            "facts_reasons",
            &form.facts_reasons,
            TEXT_MAX,
        ))
        .flatten();

    let name = errors.take(clean_name("name", &form.name, NAME_MAX));
    let public = source != IntakeSource::Office;
    let resident_id = errors
        .take(
            clean_resident_id("resident_id", &form.resident_id)
                .and_then(|id| required_if(public, "resident_id", id)),
        )
        .flatten();
    let phone = errors
        .take(clean_phone("phone", &form.phone).and_then(|p| required_if(public, "phone", p)))
        .flatten();
    let address = errors
        .take(clean_optional_text("address", &form.address, ADDRESS_MAX))
        .flatten();

    let visit = if channel == Some(Channel::Visit) {
        errors.take(check_visit_fields(form))
    } else {
        None
    };
    let reported = if kind == Some(PetitionKind::ReportAccusation) {
        errors.take(check_reported(form))
    } else {
        None
    };
    let received_on = match (source, form.received_on.trim()) {
        (IntakeSource::Office, raw) if !raw.is_empty() => errors.take(check_received_on(raw, today)),
        _ => None,
    };
    if public && form.consent != "on" {
        errors.0.push(FieldError::new("consent", Problem::Required));
    }
    let agent_consent = if source == IntakeSource::Agent {
        errors.take(clean_text("agent_consent", &form.agent_consent, ADDRESS_MAX))
    } else {
        None
    };

    match (channel, kind, subject, content, name) {
        (Some(channel), Some(kind), Some(subject), Some(content), Some(name)) if errors.0.is_empty() => {
            Ok(NewPetition {
                channel,
                kind,
                village_id,
                subject,
                content,
                request,
                facts_reasons,
                petitioner: PetitionerIdentity {
                    name,
                    resident_id,
                    phone,
                    address,
                },
                visit,
                reported,
                received_on,
                agent_consent,
            })
        }
        _ => Err(errors.0),
    }
}

/// Collects every field's problem instead of stopping at the first.
pub(crate) struct Errors(pub(crate) Vec<FieldError>);

impl Errors {
    pub(crate) fn take<T>(&mut self, r: Result<T, FieldError>) -> Option<T> {
        r.map_err(|e| self.0.push(e)).ok()
    }
}

/// Checks one field alone, for validation as the person types. Returns the field's
/// problem, if any.
pub fn check_field(
    form: &PetitionForm,
    source: IntakeSource,
    field: &str,
    today: NaiveDate,
) -> Option<Problem> {
    check_form(form, source, today)
        .err()?
        .into_iter()
        .find(|e| e.field == field)
        .map(|e| e.problem)
}

/// A choice from a list: required, and one of the values `parse` knows.
pub(crate) fn parse_choice<T>(
    field: &str,
    raw: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<T, FieldError> {
    match raw.trim() {
        "" => Err(FieldError::new(field, Problem::Required)),
        s => parse(s).ok_or_else(|| FieldError::new(field, Problem::UnknownValue)),
    }
}

fn required_if<T>(required: bool, field: &str, value: Option<T>) -> Result<Option<T>, FieldError> {
    match value {
        None if required => Err(FieldError::new(field, Problem::Required)),
        v => Ok(v),
    }
}

fn count(field: &str, raw: &str) -> Result<u32, FieldError> {
    match half_width(raw).trim() {
        "" => Ok(1),
        s => s
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=9999).contains(n))
            .ok_or_else(|| FieldError::new(field, Problem::BadNumber)),
    }
}

fn check_visit_fields(form: &PetitionForm) -> Result<Visit, FieldError> {
    let batch_count = count("batch_count", &form.batch_count)?;
    let person_count = count("person_count", &form.person_count)?;
    let representatives: Vec<String> = form
        .representatives
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    if representatives.len() > MAX_REPRESENTATIVES {
        return Err(FieldError::new("representatives", Problem::TooMany));
    }
    let representatives = representatives
        .iter()
        .map(|n| clean_name("representatives", n, NAME_MAX))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Visit {
        batch_count,
        person_count,
        collective: person_count >= COLLECTIVE_PERSONS,
        representatives,
    })
}

fn check_reported(form: &PetitionForm) -> Result<ReportedParty, FieldError> {
    let name = clean_optional_text("reported_name", &form.reported_name, NAME_MAX)?;
    let unit = clean_optional_text("reported_unit", &form.reported_unit, ADDRESS_MAX)?;
    let details = clean_optional_text("reported_details", &form.reported_details, TEXT_MAX)?;
    if name.is_none() && unit.is_none() {
        return Err(FieldError::new("reported_name", Problem::Required));
    }
    Ok(ReportedParty { name, unit, details })
}

/// A date of receipt: not in the future, and not absurdly old.
pub fn check_received_on(raw: &str, today: NaiveDate) -> Result<NaiveDate, FieldError> {
    let bad = || FieldError::new("received_on", Problem::BadDate);
    let day = NaiveDate::parse_from_str(half_width(raw).trim(), "%Y-%m-%d").map_err(|_| bad())?;
    if day > today || (today - day).num_days() > 366 {
        return Err(bad());
    }
    Ok(day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }

    fn online() -> PetitionForm {
        PetitionForm {
            kind: "request_complaint".into(),
            village_id: "12".into(),
            subject: "村道损坏".into(),
            content: "东湖村三组村道损坏，雨天无法通行。".into(),
            name: "张秀英".into(),
            resident_id: "11010519491231002X".into(),
            phone: "13800138000".into(),
            consent: "on".into(),
            ..PetitionForm::default()
        }
    }

    fn problems(form: &PetitionForm, source: IntakeSource) -> Vec<(String, Problem)> {
        check_form(form, source, today())
            .unwrap_err()
            .into_iter()
            .map(|e| (e.field, e.problem))
            .collect()
    }

    #[test]
    fn a_complete_online_form_passes() {
        let p = check_form(&online(), IntakeSource::Public, today()).unwrap();
        assert_eq!(p.channel, Channel::Online);
        assert_eq!(p.village_id, Some(12));
        assert_eq!(p.petitioner.resident_id.as_deref(), Some("11010519491231002X"));
        assert_eq!(p.visit, None);
        assert_eq!(p.reported, None);
    }

    #[test]
    fn every_problem_is_reported_at_once_with_its_field() {
        let form = PetitionForm {
            resident_id: "110105194912310021".into(),
            phone: "12345".into(),
            subject: " ".into(),
            consent: String::new(),
            ..online()
        };
        assert_eq!(
            problems(&form, IntakeSource::Public),
            vec![
                ("subject".to_owned(), Problem::Required),
                ("resident_id".to_owned(), Problem::BadResidentIdCheck),
                ("phone".to_owned(), Problem::BadPhone),
                ("consent".to_owned(), Problem::Required),
            ]
        );
        assert_eq!(
            check_field(&form, IntakeSource::Public, "phone", today()),
            Some(Problem::BadPhone)
        );
        assert_eq!(check_field(&form, IntakeSource::Public, "content", today()), None);
    }

    #[test]
    fn the_office_may_register_without_id_or_phone_but_names_the_channel() {
        let form = PetitionForm {
            resident_id: String::new(),
            phone: String::new(),
            consent: String::new(),
            village_id: String::new(),
            ..online()
        };
        assert_eq!(
            problems(&form, IntakeSource::Office),
            vec![("channel".to_owned(), Problem::Required)]
        );
        let letter = PetitionForm {
            channel: "letter".into(),
            received_on: "2026-11-20".into(),
            ..form
        };
        let p = check_form(&letter, IntakeSource::Office, today()).unwrap();
        assert_eq!(p.received_on, NaiveDate::from_ymd_opt(2026, 11, 20));
        let future = PetitionForm {
            received_on: "2026-11-24".into(),
            ..letter
        };
        assert_eq!(
            problems(&future, IntakeSource::Office),
            vec![("received_on".to_owned(), Problem::BadDate)]
        );
    }

    #[test]
    fn visits_count_persons_and_name_at_most_five_representatives() {
        let visit = PetitionForm {
            channel: "visit".into(),
            person_count: "12".into(),
            representatives: "甲\n乙\n\n丙".into(),
            ..online()
        };
        let p = check_form(&visit, IntakeSource::Office, today()).unwrap();
        let v = p.visit.unwrap();
        assert_eq!((v.batch_count, v.person_count, v.collective), (1, 12, true));
        assert_eq!(v.representatives, ["甲", "乙", "丙"]);
        let six = PetitionForm {
            representatives: "一\n二\n三\n四\n五\n六".into(),
            ..visit.clone()
        };
        assert_eq!(
            problems(&six, IntakeSource::Office),
            vec![("representatives".to_owned(), Problem::TooMany)]
        );
        let zero = PetitionForm {
            person_count: "0".into(),
            ..visit
        };
        assert_eq!(
            problems(&zero, IntakeSource::Office),
            vec![("person_count".to_owned(), Problem::BadNumber)]
        );
    }

    #[test]
    fn a_report_names_who_it_is_about() {
        let report = PetitionForm {
            kind: "report_accusation".into(),
            ..online()
        };
        assert_eq!(
            problems(&report, IntakeSource::Public),
            vec![("reported_name".to_owned(), Problem::Required)]
        );
        let named = PetitionForm {
            reported_unit: "某某公司".into(),
            ..report
        };
        let p = check_form(&named, IntakeSource::Public, today()).unwrap();
        assert_eq!(p.reported.unwrap().unit.as_deref(), Some("某某公司"));
    }

    #[test]
    fn an_agent_records_the_residents_consent() {
        let form = PetitionForm {
            agent_consent: String::new(),
            ..online()
        };
        assert_eq!(
            problems(&form, IntakeSource::Agent),
            vec![("agent_consent".to_owned(), Problem::Required)]
        );
    }

    #[test]
    fn a_script_tag_is_kept_as_plain_text() {
        // Content is stored as typed; escaping is the renderer's job, everywhere.
        let form = PetitionForm {
            content: "<script>alert(1)</script>".into(),
            ..online()
        };
        let p = check_form(&form, IntakeSource::Public, today()).unwrap();
        assert_eq!(p.content, "<script>alert(1)</script>");
    }
}
