//! The words for the petition's vocabulary, in the reader's language.

use domain::clock::ClockStep;
use domain::petition::{Channel, DecisionOutcome, PetitionKind, PetitionState, Rating, Step};
use domain::registry::Deadline;
use leptos::prelude::*;
use leptos_i18n::I18nContext;

use crate::i18n::*;

type I18n = I18nContext<Locale>;

pub fn channel_label(i18n: I18n, c: Channel) -> &'static str {
    channel_name(i18n.get_locale(), c)
}

pub fn kind_label(i18n: I18n, k: PetitionKind) -> &'static str {
    petition_kind_name(i18n.get_locale(), k)
}

pub fn state_label(i18n: I18n, s: PetitionState) -> &'static str {
    state_name(i18n.get_locale(), s)
}

/// The same words in a given language, outside a page: the server's ledgers use them.
pub fn channel_name(locale: Locale, c: Channel) -> &'static str {
    match c {
        Channel::Letter => td_string!(locale, channel.letter),
        Channel::Visit => td_string!(locale, channel.visit),
        Channel::Phone => td_string!(locale, channel.phone),
        Channel::Fax => td_string!(locale, channel.fax),
        Channel::Online => td_string!(locale, channel.online),
        Channel::Agent => td_string!(locale, channel.agent),
    }
}

pub fn petition_kind_name(locale: Locale, k: PetitionKind) -> &'static str {
    match k {
        PetitionKind::Suggestion => td_string!(locale, petition_kind.suggestion),
        PetitionKind::ReportAccusation => td_string!(locale, petition_kind.report_accusation),
        PetitionKind::RequestComplaint => td_string!(locale, petition_kind.request_complaint),
    }
}

pub fn state_name(locale: Locale, s: PetitionState) -> &'static str {
    use PetitionState as S;
    match s {
        S::Submitted => td_string!(locale, petition_state.submitted),
        S::Registered => td_string!(locale, petition_state.registered),
        S::Forwarded => td_string!(locale, petition_state.forwarded),
        S::Assigned => td_string!(locale, petition_state.assigned),
        S::Accepted => td_string!(locale, petition_state.accepted),
        S::Declined => td_string!(locale, petition_state.declined),
        S::InHandling => td_string!(locale, petition_state.in_handling),
        S::Extended => td_string!(locale, petition_state.extended),
        S::Replied => td_string!(locale, petition_state.replied),
        S::Evaluated => td_string!(locale, petition_state.evaluated),
        S::ReviewRequested => td_string!(locale, petition_state.review_requested),
        S::Reviewed => td_string!(locale, petition_state.reviewed),
        S::ReReviewRequested => td_string!(locale, petition_state.re_review_requested),
        S::ReReviewed => td_string!(locale, petition_state.re_reviewed),
        S::Concluded => td_string!(locale, petition_state.concluded),
        S::Withdrawn => td_string!(locale, petition_state.withdrawn),
    }
}

/// A step's name; `None` is the filing itself.
pub fn step_label(i18n: I18n, s: Option<Step>) -> &'static str {
    let Some(s) = s else {
        return t_string!(i18n, petition_step.file);
    };
    match s {
        Step::Register => t_string!(i18n, petition_step.register),
        Step::Forward => t_string!(i18n, petition_step.forward),
        Step::Assign => t_string!(i18n, petition_step.assign),
        Step::Accept => t_string!(i18n, petition_step.accept),
        Step::Decline => t_string!(i18n, petition_step.decline),
        Step::Return => t_string!(i18n, petition_step.return_case),
        Step::StartHandling => t_string!(i18n, petition_step.start_handling),
        Step::Extend => t_string!(i18n, petition_step.extend),
        Step::RecordDecision => t_string!(i18n, petition_step.record_decision),
        Step::Reply => t_string!(i18n, petition_step.reply),
        Step::Evaluate => t_string!(i18n, petition_step.evaluate),
        Step::RequestReview => t_string!(i18n, petition_step.request_review),
        Step::DecideReview => t_string!(i18n, petition_step.decide_review),
        Step::RequestReReview => t_string!(i18n, petition_step.request_re_review),
        Step::DecideReReview => t_string!(i18n, petition_step.decide_re_review),
        Step::Conclude => t_string!(i18n, petition_step.conclude),
        Step::Withdraw => t_string!(i18n, petition_step.withdraw),
    }
}

pub fn outcome_label(i18n: I18n, o: DecisionOutcome) -> &'static str {
    match o {
        DecisionOutcome::Supported => t_string!(i18n, decision_outcome.supported),
        DecisionOutcome::Explained => t_string!(i18n, decision_outcome.explained),
        DecisionOutcome::NotSupported => t_string!(i18n, decision_outcome.not_supported),
    }
}

pub fn rating_label(i18n: I18n, r: Rating) -> &'static str {
    match r {
        Rating::Satisfied => t_string!(i18n, rating.satisfied),
        Rating::BasicallySatisfied => t_string!(i18n, rating.basically_satisfied),
        Rating::Dissatisfied => t_string!(i18n, rating.dissatisfied),
    }
}

pub fn clock_label(i18n: I18n, c: ClockStep) -> &'static str {
    match c {
        ClockStep::RegisterAndRoute => t_string!(i18n, clock.register_and_route),
        ClockStep::NotifyReceipt => t_string!(i18n, clock.notify_receipt),
        ClockStep::ObjectToRouting => t_string!(i18n, clock.object_to_routing),
        ClockStep::Reply => t_string!(i18n, clock.reply),
        ClockStep::Extension => t_string!(i18n, clock.extension),
        ClockStep::RequestReview => t_string!(i18n, clock.request_review),
        ClockStep::DecideReview => t_string!(i18n, clock.decide_review),
        ClockStep::RequestReReview => t_string!(i18n, clock.request_re_review),
        ClockStep::DecideReReview => t_string!(i18n, clock.decide_re_review),
    }
}

/// The legal deadlines running on a petition, each with its last day and whether it was met.
#[component]
pub fn DeadlineList(deadlines: Vec<Deadline>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <ul class="plain-list">
            {deadlines.into_iter().map(|d| {
                let (step, due, done) = (d.step, d.due_on.to_string(), d.done);
                view! {
                    <li class=if done { "deadline done" } else { "deadline" }>
                        {move || clock_label(i18n, step)}": "
                        {move || td_string!(i18n.get_locale(), track.due, date = due.clone())}
                        {done.then(|| view! { " · "{t!(i18n, track.met)} })}
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}
