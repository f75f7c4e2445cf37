use chrono::{DateTime, Utc};
use domain::field::{InboxState, Week, WeeklyStatus};
use domain::sync::{Change, FieldSetup, VillageWeek};
use leptos::prelude::*;

use crate::components::icon::{self, Icon};
use crate::components::title::PageTitle;
use crate::i18n::*;
use crate::outbox::use_outbox;
use crate::pages::field::{field_setup, weekly_status_label};

/// The village officers' desk on the phone: a work bench of what they do, this week's
/// report and its deadline, and what the township asked back.
#[component]
pub fn FieldHome() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <PageTitle text=move || t_string!(i18n, field.title) />
        <FieldHomeBody />
    }
}

/// An island: the desk counts what this phone still holds and what came back.
#[island(lazy)]
fn FieldHomeBody() -> impl IntoView {
    let i18n = crate::components::island::island_i18n();
    let auth = crate::components::auth::use_auth();
    let outbox = use_outbox();
    let unsent = move || outbox.map_or(0, |o| o.unsent());
    let asked = move || outbox.map_or(0, |o| o.answers.with(|a| asked_back(a)));
    // Petition agents have no village to report for: their desk is the intake form.
    let setup = field_setup().ok().flatten();
    let weekly = auth
        .me
        .with_untracked(|u| u.as_ref().is_some_and(|u| u.files_weekly_reports()));
    let this_week = setup.as_ref().map(this_week).unwrap_or_default();
    let week_note = this_week.first().map(|w| w.status);
    view! {
        <h1>{t!(i18n, field.title)}</h1>
        {setup.map(|_| view! {
            <nav class="workbench" aria-label=move || t_string!(i18n, field.actions)>
                <a class="tile" href="/field/report">
                    <Icon path=icon::REPORT />
                    <span class="tile-label">{t!(i18n, field.new_report)}</span>
                </a>
                {weekly.then(|| view! {
                    <a class="tile" href="/field/weekly">
                        <Icon path=icon::WEEKLY />
                        <span class="tile-label">{t!(i18n, field.weekly_report)}</span>
                        {week_note.map(|s| view! {
                            <span class=format!("tile-note week-{}", s.as_str())>{move || weekly_status_label(i18n, s)}</span>
                        })}
                    </a>
                })}
                <a class="tile" href="/field/outbox">
                    <Icon path=icon::OUTBOX />
                    <span class="tile-label">{t!(i18n, field.outbox)}</span>
                    <span class="count" data-testid="home-unsent" aria-label=move || td_string!(i18n.get_locale(), field.unsent_n, n = unsent())>
                        {move || unsent().to_string()}
                    </span>
                </a>
                <a class="tile" href="/field/villages">
                    <Icon path=icon::VILLAGES />
                    <span class="tile-label">{t!(i18n, field.villages)}</span>
                </a>
            </nav>
            <section aria-labelledby="asked-title">
                <h2 id="asked-title">{t!(i18n, field.asked_title)}</h2>
                <p data-testid="home-asked">
                    {move || match asked() {
                        0 => t_string!(i18n, field.asked_none).to_owned(),
                        n => td_string!(i18n.get_locale(), field.asked_n, n = n),
                    }}
                    {move || (asked() > 0).then(|| view! { " " <a href="/field/outbox">{t!(i18n, field.asked_open)}</a> })}
                </p>
            </section>
            <section aria-labelledby="week-title">
                <h2 id="week-title">{t!(i18n, field.this_week)}</h2>
                <ul class="plain-list week-list" role="list">
                    {this_week.into_iter().map(|w| {
                        let status = w.status;
                        let due = china_time(w.due_at);
                        view! {
                            <li class=format!("week-status week-{}", status.as_str())>
                                <strong>{w.village_name}</strong>
                                <span class="week-state">{move || weekly_status_label(i18n, status)}</span>
                                <span class="week-due">{move || td_string!(i18n.get_locale(), field.due_at, at = due.clone())}</span>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </section>
            <p class="hint">{t!(i18n, field.intro)}</p>
        })}
    }
}

/// This week's line of each of the officer's villages, those still to report first.
fn this_week(setup: &FieldSetup) -> Vec<VillageWeek> {
    let week = Week::of(setup.server_time);
    let mut lines: Vec<VillageWeek> = setup.weekly.iter().filter(|w| w.week == week).cloned().collect();
    lines.sort_by_key(|w| !matches!(w.status, WeeklyStatus::Pending | WeeklyStatus::Missing));
    lines
}

/// The reports whose latest answer from the township asks the officer for more.
fn asked_back(answers: &[Change]) -> usize {
    let mut latest: Vec<&Change> = Vec::new();
    for change in answers {
        match latest.iter_mut().find(|c| c.record_id == change.record_id) {
            Some(c) if c.cursor < change.cursor => *c = change,
            Some(_) => {}
            None => latest.push(change),
        }
    }
    latest
        .iter()
        .filter(|c| c.state == Some(InboxState::MoreInfoRequested))
        .count()
}

/// A deadline as the township's clock shows it (China has one time zone, UTC+8).
fn china_time(at: DateTime<Utc>) -> String {
    at.with_timezone(&domain::audit::china_time())
        .format("%m-%d %H:%M")
        .to_string()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn change(cursor: i64, record: &str, state: InboxState) -> Change {
        Change {
            cursor,
            kind: domain::sync::ChangeKind::Inbox,
            record_id: record.into(),
            step: None,
            state: Some(state),
            note: None,
            by: None,
            at: Utc.with_ymd_and_hms(2026, 12, 7, 1, 0, 0).unwrap(),
        }
    }

    #[test]
    fn only_reports_still_asked_for_more_count() {
        let answers = [
            change(3, "a", InboxState::MoreInfoRequested),
            change(1, "b", InboxState::MoreInfoRequested),
            change(4, "b", InboxState::Acknowledged),
            change(2, "a", InboxState::Acknowledged),
            change(5, "c", InboxState::Closed),
        ];
        assert_eq!(asked_back(&answers), 1);
        assert_eq!(asked_back(&[]), 0);
    }

    #[test]
    fn deadlines_are_read_on_the_townships_clock() {
        let due = Utc.with_ymd_and_hms(2026, 12, 11, 10, 0, 0).unwrap();
        assert_eq!(china_time(due), "12-11 18:00");
    }
}
