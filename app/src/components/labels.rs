//! The words for the petition's vocabulary, in the reader's language.

use domain::clock::ClockStep;
use domain::petition::{Channel, DecisionOutcome, PetitionKind, PetitionState, Rating, Step};
use domain::registry::Deadline;
use leptos::prelude::*;
use leptos_i18n::I18nContext;

use crate::i18n::*;

type I18n = I18nContext<Locale>;

pub fn channel_label(i18n: I18n, c: Channel) -> &'static str {
    match c {
        Channel::Letter => t_string!(i18n, channel.letter),
        Channel::Visit => t_string!(i18n, channel.visit),
        Channel::Phone => t_string!(i18n, channel.phone),
        Channel::Fax => t_string!(i18n, channel.fax),
        Channel::Online => t_string!(i18n, channel.online),
        Channel::Agent => t_string!(i18n, channel.agent),
    }
}

pub fn kind_label(i18n: I18n, k: PetitionKind) -> &'static str {
    match k {
        PetitionKind::Suggestion => t_string!(i18n, petition_kind.suggestion),
        PetitionKind::ReportAccusation => t_string!(i18n, petition_kind.report_accusation),
        PetitionKind::RequestComplaint => t_string!(i18n, petition_kind.request_complaint),
    }
}

pub fn state_label(i18n: I18n, s: PetitionState) -> &'static str {
    use PetitionState as S;
    match s {
        S::Submitted => t_string!(i18n, petition_state.submitted),
        S::Registered => t_string!(i18n, petition_state.registered),
        S::Forwarded => t_string!(i18n, petition_state.forwarded),
        S::Assigned => t_string!(i18n, petition_state.assigned),
        S::Accepted => t_string!(i18n, petition_state.accepted),
        S::Declined => t_string!(i18n, petition_state.declined),
        S::InHandling => t_string!(i18n, petition_state.in_handling),
        S::Extended => t_string!(i18n, petition_state.extended),
        S::Replied => t_string!(i18n, petition_state.replied),
        S::Evaluated => t_string!(i18n, petition_state.evaluated),
        S::ReviewRequested => t_string!(i18n, petition_state.review_requested),
        S::Reviewed => t_string!(i18n, petition_state.reviewed),
        S::ReReviewRequested => t_string!(i18n, petition_state.re_review_requested),
        S::ReReviewed => t_string!(i18n, petition_state.re_reviewed),
        S::Concluded => t_string!(i18n, petition_state.concluded),
        S::Withdrawn => t_string!(i18n, petition_state.withdrawn),
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
