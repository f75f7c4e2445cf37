//! `/office`: the clerk's first screen, a work bench. What waits for the office, each a
//! count that opens its list (petitions to register, new and urgent field reports,
//! villages whose weekly report is missing or late this week), then the office's common
//! tasks by role.

use domain::auth::Role;
use domain::office::OfficeDesk;
use leptos::prelude::*;

use crate::api::office_desk;
use crate::components::auth::use_auth;
use crate::components::icon::{self, Icon};
use crate::components::status::{ErrorMessage, Loading};
use crate::components::title::PageTitle;
use crate::i18n::*;

#[component]
pub fn OfficeHome() -> impl IntoView {
    let i18n = use_i18n();
    let desk = Resource::new(|| (), |_| office_desk());
    view! {
        <PageTitle text=move || t_string!(i18n, office.title) />
        <h1>{t!(i18n, office.title)}</h1>
        <Suspense fallback=|| view! { <Loading /> }>
            {move || Suspend::new(async move {
                match desk.await {
                    Ok(Some(desk)) => view! { <Waiting desk /> }.into_any(),
                    Ok(None) => ().into_any(),
                    Err(error) => view! { <ErrorMessage error /> }.into_any(),
                }
            })}
        </Suspense>
        <Tasks />
    }
}

/// One count on the desk. `alert`: more than none is something overdue (red is kept for that).
struct Count {
    href: String,
    icon: &'static str,
    label: fn(leptos_i18n::I18nContext<Locale>) -> &'static str,
    n: i64,
    alert: bool,
    id: &'static str,
    /// Which week a weekly count is of.
    note: Option<String>,
}

#[component]
fn Waiting(desk: OfficeDesk) -> impl IntoView {
    let i18n = use_i18n();
    let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
    let week = desk.weekly_week;
    let weekly = |status: &str| format!("/office/weekly?week={week}&status={status}");
    let day = |d: chrono::NaiveDate| d.format("%m-%d").to_string();
    let (from, to) = (week.monday(), week.monday() + chrono::Duration::days(6));
    let week_note = td_string!(
        i18n.get_locale(),
        weekly.week_range,
        from = day(from),
        to = day(to)
    );
    let counts = [
        Count {
            href: "/office/petitions?state=submitted".into(),
            icon: icon::REGISTER,
            label: |i18n| t_string!(i18n, registry.inbox),
            n: desk.awaiting_registration,
            alert: false,
            id: "desk-awaiting",
            note: None,
        },
        Count {
            href: "/office/reports?state=new".into(),
            icon: icon::INBOX,
            label: |i18n| t_string!(i18n, office.reports_new),
            n: desk.reports_new,
            alert: false,
            id: "desk-reports-new",
            note: None,
        },
        Count {
            href: "/office/reports?state=new&urgent=1".into(),
            icon: icon::REPORT,
            label: |i18n| t_string!(i18n, office.reports_urgent),
            n: desk.reports_urgent,
            alert: true,
            id: "desk-reports-urgent",
            note: None,
        },
        Count {
            href: weekly("missing"),
            icon: icon::WEEKLY,
            label: |i18n| t_string!(i18n, office.weekly_missing),
            n: count(desk.weekly_missing),
            alert: true,
            id: "desk-weekly-missing",
            note: Some(week_note.clone()),
        },
        Count {
            href: weekly("late"),
            icon: icon::WEEKLY,
            label: |i18n| t_string!(i18n, office.weekly_late),
            n: count(desk.weekly_late),
            alert: false,
            id: "desk-weekly-late",
            note: Some(week_note),
        },
    ];
    let tiles = counts
        .into_iter()
        .map(|c| {
            let (n, label) = (c.n, c.label);
            view! {
                <a class="tile" href=c.href>
                    <Icon path=c.icon />
                    <span class="tile-label">{move || label(i18n)}</span>
                    {c.note.map(|note| view! { <span class="tile-note">{note}</span> })}
                    <span class="count" class:alert={c.alert && n > 0} data-testid=c.id>{n.to_string()}</span>
                </a>
            }
        })
        .collect_view();
    view! {
        <h2 id="waiting-title">{t!(i18n, office.waiting)}</h2>
        <nav class="workbench" aria-labelledby="waiting-title">{tiles}</nav>
    }
}

/// The office's common tasks, those of the person's roles.
#[component]
fn Tasks() -> impl IntoView {
    let i18n = use_i18n();
    let me = use_auth().me.get_untracked();
    let has = |role| me.as_ref().is_some_and(|u| u.has_role(role));
    let office = has(Role::Clerk) || has(Role::CaseLeader);
    let admin = has(Role::Admin);
    type Label = fn(leptos_i18n::I18nContext<Locale>) -> &'static str;
    let tasks: [(bool, &'static str, &'static str, Label); 7] = [
        (office, "/office/intake", icon::WRITE, |i| {
            t_string!(i, nav.intake)
        }),
        (true, "/office/petitions", icon::REGISTER, |i| {
            t_string!(i, nav.registry)
        }),
        (admin, "/office/users", icon::PERSON, |i| t_string!(i, nav.users)),
        (admin, "/office/roster", icon::PEOPLE, |i| {
            t_string!(i, nav.roster)
        }),
        (admin, "/office/audit", icon::LIST, |i| t_string!(i, nav.audit)),
        (admin, "/office/info", icon::INFO, |i| {
            t_string!(i, nav.office_info)
        }),
        (true, "/office/org", icon::ORG, |i| t_string!(i, office.org_title)),
    ];
    view! {
        <h2 id="tasks-title">{t!(i18n, office.actions)}</h2>
        <nav class="workbench" aria-labelledby="tasks-title">
            {tasks
                .into_iter()
                .filter(|t| t.0)
                .map(|(_, href, path, label)| view! {
                    <a class="tile" href=href>
                        <Icon path />
                        <span class="tile-label">{move || label(i18n)}</span>
                    </a>
                })
                .collect_view()}
        </nav>
    }
}
