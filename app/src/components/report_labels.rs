//! The words for field reports' vocabulary, in the reader's language.

use domain::field::{Category, InboxState, InboxStep, ReportKind, Severity, WeeklyStatus, kind_name};
use leptos_i18n::I18nContext;

use crate::i18n::*;

type I18n = I18nContext<Locale>;

pub fn severity_label(i18n: I18n, s: Severity) -> &'static str {
    match s {
        Severity::General => t_string!(i18n, inbox.severity_general),
        Severity::Serious => t_string!(i18n, inbox.severity_serious),
        Severity::Urgent => t_string!(i18n, inbox.severity_urgent),
    }
}

pub fn inbox_state_label(i18n: I18n, s: InboxState) -> &'static str {
    match s {
        InboxState::New => t_string!(i18n, inbox.state_new),
        InboxState::Acknowledged => t_string!(i18n, inbox.state_acknowledged),
        InboxState::MoreInfoRequested => t_string!(i18n, inbox.state_more_info_requested),
        InboxState::Closed => t_string!(i18n, inbox.state_closed),
    }
}

pub fn inbox_step_label(i18n: I18n, s: InboxStep) -> &'static str {
    match s {
        InboxStep::Acknowledge => t_string!(i18n, inbox.step_acknowledge),
        InboxStep::RequestInfo => t_string!(i18n, inbox.step_request_info),
        InboxStep::Supplement => t_string!(i18n, inbox.step_supplement),
        InboxStep::Close => t_string!(i18n, inbox.step_close),
    }
}

pub fn category_label(i18n: I18n, c: Category) -> &'static str {
    match c {
        Category::Dispute => t_string!(i18n, inbox.category_dispute),
        Category::Hazard => t_string!(i18n, inbox.category_hazard),
    }
}

pub fn weekly_status_label(i18n: I18n, s: WeeklyStatus) -> &'static str {
    match s {
        WeeklyStatus::OnTime => t_string!(i18n, weekly.status_on_time),
        WeeklyStatus::Late => t_string!(i18n, weekly.status_late),
        WeeklyStatus::Zero => t_string!(i18n, weekly.status_zero),
        WeeklyStatus::Missing => t_string!(i18n, weekly.status_missing),
        WeeklyStatus::Pending => t_string!(i18n, weekly.status_pending),
    }
}

/// 1 = Monday … 7 = Sunday.
pub fn weekday_label(i18n: I18n, day: u8) -> &'static str {
    match day {
        1 => t_string!(i18n, weekly.weekday_1),
        2 => t_string!(i18n, weekly.weekday_2),
        3 => t_string!(i18n, weekly.weekday_3),
        4 => t_string!(i18n, weekly.weekday_4),
        5 => t_string!(i18n, weekly.weekday_5),
        6 => t_string!(i18n, weekly.weekday_6),
        _ => t_string!(i18n, weekly.weekday_7),
    }
}

/// A report kind's name from the township's list, in the reader's language.
pub fn report_kind_label(i18n: I18n, kinds: &[ReportKind], code: &str) -> String {
    kind_name(kinds, code, i18n.get_locale() == Locale::en)
}
