//! `/office/weekly`: which villages have sent their weekly screening report (排查周报) for
//! an ISO week, this week by default (China time), with the previous and next weeks a
//! link away. Admins set the weekly deadline and the list of report kinds here.

use domain::auth::Role;
use domain::field::{
    FieldSettings, KIND_CODE_MAX, KIND_NAME_MAX, ReportKind, Week, WeeklyLine, WeeklyOverview, WeeklyStatus,
};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::{SetReportKinds, SetWeeklyDeadline, field_weekly, get_field_settings};
use crate::components::auth::use_auth;
use crate::components::report_labels::{category_label, weekday_label, weekly_status_label};
use crate::components::status::{ErrorMessage, Loading};
use crate::components::title::PageTitle;
use crate::i18n::*;

/// Blank rows under the kinds, for adding new ones.
const NEW_KIND_ROWS: usize = 3;

#[component]
pub fn WeeklyPage() -> impl IntoView {
    let i18n = use_i18n();
    let (week, status) = use_query_map().with_untracked(|q| (q.get("week"), q.get("status")));
    view! {
        <PageTitle text=move || t_string!(i18n, weekly.nav) />
        <OfficeWeeklyBody week status />
    }
}

/// An island: the settings save in place. `status` (`missing`, `late`…) narrows the
/// table to the villages standing there.
#[island(lazy)]
fn OfficeWeeklyBody(week: Option<String>, status: Option<String>) -> impl IntoView {
    let i18n = crate::components::island::island_i18n();
    let auth = use_auth();
    let reads_overview = auth
        .me
        .get_untracked()
        .is_some_and(|u| u.has_role(Role::Clerk) || u.has_role(Role::CaseLeader));
    let overview = reads_overview.then(|| Resource::new(move || week.clone(), field_weekly));
    let only = status.as_deref().and_then(WeeklyStatus::parse);
    let deadline = ServerAction::<SetWeeklyDeadline>::new();
    let kinds = ServerAction::<SetReportKinds>::new();
    let settings = Resource::new(
        move || (deadline.version().get(), kinds.version().get()),
        |_| get_field_settings(),
    );
    view! {
        {match overview {
            Some(overview) => view! {
                <Transition fallback=|| view! { <Loading /> }>
                    {move || Suspend::new(async move {
                        match overview.await {
                            Ok(o) => view! { <Overview o only /> }.into_any(),
                            Err(error) => view! { <ErrorMessage error /> }.into_any(),
                        }
                    })}
                </Transition>
            }.into_any(),
            None => view! {
                <h1>{t!(i18n, weekly.nav)}</h1>
                <p>{t!(i18n, weekly.clerks_only)}</p>
            }.into_any(),
        }}
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                settings.await.ok().filter(|s| s.may_edit).map(|s| view! { <Settings s deadline kinds /> })
            })}
        </Suspense>
    }
}

fn week_href(week: Week) -> String {
    format!("/office/weekly?week={week}")
}

fn status_href(week: Week, status: WeeklyStatus) -> String {
    format!("/office/weekly?week={week}&status={}", status.as_str())
}

#[component]
fn Overview(o: WeeklyOverview, only: Option<WeeklyStatus>) -> impl IntoView {
    let i18n = use_i18n();
    let week = o.week;
    let counts = o.counts();
    let due = domain::audit::format_china_time(o.due_at);
    let from = week.monday().to_string();
    let to = (week.monday() + chrono::Duration::days(6)).to_string();
    // Each count opens the villages standing there; the one shown is marked.
    let count = move |status: WeeklyStatus, n: usize| {
        let label = weekly_status_label(i18n, status);
        view! {
            <li class=status.as_str()>
                <a href=status_href(week, status) aria-current=(only == Some(status)).then_some("true")>
                    <strong>{move || td_string!(i18n.get_locale(), weekly.count, n = n)}</strong>" "{label}
                </a>
            </li>
        }
    };
    let lines: Vec<WeeklyLine> = o
        .lines
        .into_iter()
        .filter(|l| only.is_none_or(|s| l.week.status == s))
        .collect();
    view! {
        <h1>{move || td_string!(i18n.get_locale(), weekly.title, week = week.to_string())}</h1>
        <p class="case-meta">{move || td_string!(i18n.get_locale(), weekly.week_range, from = from.clone(), to = to.clone())}</p>
        <p>{move || td_string!(i18n.get_locale(), weekly.intro, due = due.clone())}</p>
        <nav class="row-actions" aria-label=move || t_string!(i18n, weekly.this_week)>
            <a class="button" href=week_href(week.previous()) rel="prev">{t!(i18n, weekly.previous)}</a>
            <a class="button" href="/office/weekly">{t!(i18n, weekly.this_week)}</a>
            <a class="button" href=week_href(week.next()) rel="next">{t!(i18n, weekly.next)}</a>
        </nav>
        <ul class="weekly-counts" id="weekly-counts">
            {move || view! {
                {count(WeeklyStatus::OnTime, counts.on_time)}
                {count(WeeklyStatus::Zero, counts.zero)}
                {count(WeeklyStatus::Late, counts.late)}
                {count(WeeklyStatus::Missing, counts.missing)}
                {count(WeeklyStatus::Pending, counts.pending)}
            }}
        </ul>
        {only.map(|s| view! {
            <p class="filter-note">
                {move || td_string!(i18n.get_locale(), weekly.only_status, status = weekly_status_label(i18n, s))}" "
                <a href=week_href(week)>{t!(i18n, weekly.show_all)}</a>
            </p>
        })}
        {if lines.is_empty() && only.is_some() {
            view! { <p>{t!(i18n, weekly.none_with_status)}</p> }.into_any()
        } else if lines.is_empty() {
            view! { <p>{t!(i18n, weekly.no_villages)}</p> }.into_any()
        } else {
            view! {
                <div class="table-wrap">
                    <table class="ledger" id="weekly">
                        <thead>
                            <tr>
                                <th scope="col">{t!(i18n, weekly.village)}</th>
                                <th scope="col">{t!(i18n, weekly.status)}</th>
                                <th scope="col">{t!(i18n, weekly.submitted_at)}</th>
                                <th scope="col">{t!(i18n, weekly.items)}</th>
                                <th scope="col">{t!(i18n, weekly.reported_by)}</th>
                            </tr>
                        </thead>
                        <tbody>
                            {lines.into_iter().map(|l| view! { <Line l /> }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }.into_any()
        }}
    }
}

#[component]
fn Line(l: WeeklyLine) -> impl IntoView {
    let i18n = use_i18n();
    let status = l.week.status;
    let reported = l.week.submitted_at.is_some();
    let items = l.items;
    view! {
        <tr data-village=l.week.village_id.to_string() data-status=status.as_str()>
            <td>{l.week.village_name}</td>
            <td class=format!("weekly-status {}", status.as_str())>{move || weekly_status_label(i18n, status)}</td>
            <td>{l.week.submitted_at.map(|at| view! { <time>{domain::audit::format_china_time(at)}</time> })}</td>
            <td>{move || reported.then(|| td_string!(i18n.get_locale(), weekly.item_count, n = items))}</td>
            <td>{l.reported_by}</td>
        </tr>
    }
}

#[component]
fn Settings(
    s: FieldSettings,
    deadline: ServerAction<SetWeeklyDeadline>,
    kinds: ServerAction<SetReportKinds>,
) -> impl IntoView {
    let i18n = use_i18n();
    let township = s.township_id.to_string();
    let township_for_kinds = township.clone();
    let d = s.deadline;
    let outcome = |ok: &'static str, r: Option<Result<(), crate::error::AppError>>| {
        r.map(|r| match r {
            Ok(()) => view! { <p class="notice-ok" role="status">{ok}</p> }.into_any(),
            Err(error) => view! { <ErrorMessage error /> }.into_any(),
        })
    };
    let mut rows = s.kinds;
    rows.extend(std::iter::repeat_n(
        ReportKind {
            code: String::new(),
            name_zh: String::new(),
            name_en: String::new(),
            category: domain::field::Category::Dispute,
        },
        NEW_KIND_ROWS,
    ));
    view! {
        <section class="panel" aria-labelledby="settings-title" id="field-settings">
            <h2 id="settings-title">{t!(i18n, weekly.settings)}</h2>
            <h3>{t!(i18n, weekly.deadline)}</h3>
            <ActionForm action=deadline attr:class="form filters" attr:id="deadline-form">
                <input type="hidden" name="township_id" value=township />
                <div class="filter">
                    <label for="deadline-week">{t!(i18n, weekly.which_week)}</label>
                    <select id="deadline-week" name="next_week">
                        <option value="false" selected=!d.next_week>{t!(i18n, weekly.same_week)}</option>
                        <option value="true" selected=d.next_week>{t!(i18n, weekly.next_week)}</option>
                    </select>
                </div>
                <div class="filter">
                    <label for="deadline-weekday">{t!(i18n, weekly.weekday)}</label>
                    <select id="deadline-weekday" name="weekday">
                        {(1..=7u8).map(|day| view! {
                            <option value=day.to_string() selected=d.weekday == day>{move || weekday_label(i18n, day)}</option>
                        }).collect_view()}
                    </select>
                </div>
                <div class="filter">
                    <label for="deadline-hour">{t!(i18n, weekly.hour)}</label>
                    <select id="deadline-hour" name="hour">
                        {(0..=23u8).map(|h| view! {
                            <option value=h.to_string() selected=d.hour == h>{format!("{h:02}:00")}</option>
                        }).collect_view()}
                    </select>
                </div>
                <button type="submit" class="button primary">{t!(i18n, weekly.save_deadline)}</button>
            </ActionForm>
            {move || outcome(t_string!(i18n, weekly.deadline_saved), deadline.value().get())}
            <h3>{t!(i18n, weekly.kinds)}</h3>
            <p class="hint" id="kinds-hint">{t!(i18n, weekly.kinds_hint)}</p>
            <ActionForm action=kinds attr:class="form" attr:id="kinds-form">
                <input type="hidden" name="township_id" value=township_for_kinds />
                <div class="table-wrap">
                    <table class="ledger kinds">
                        <thead>
                            <tr>
                                <th scope="col">{t!(i18n, weekly.code)}</th>
                                <th scope="col">{t!(i18n, weekly.name_zh)}</th>
                                <th scope="col">{t!(i18n, weekly.name_en)}</th>
                                <th scope="col">{t!(i18n, weekly.category)}</th>
                            </tr>
                        </thead>
                        <tbody>
                            {rows.into_iter().enumerate().map(|(i, k)| {
                                let name = move |field: &str| format!("kinds[{i}][{field}]");
                                let category = k.category;
                                view! {
                                    <tr>
                                        <td><input type="text" name=name("code") value=k.code maxlength=KIND_CODE_MAX.to_string() pattern="[a-z0-9_]*" aria-label=move || t_string!(i18n, weekly.code) aria-describedby="kinds-hint" /></td>
                                        <td><input type="text" name=name("name_zh") value=k.name_zh maxlength=KIND_NAME_MAX.to_string() aria-label=move || t_string!(i18n, weekly.name_zh) /></td>
                                        <td><input type="text" name=name("name_en") value=k.name_en maxlength=KIND_NAME_MAX.to_string() aria-label=move || t_string!(i18n, weekly.name_en) /></td>
                                        <td>
                                            <select name=name("category") aria-label=move || t_string!(i18n, weekly.category)>
                                                {domain::field::Category::ALL.iter().map(|c| view! {
                                                    <option value=c.as_str() selected=category == *c>{move || category_label(i18n, *c)}</option>
                                                }).collect_view()}
                                            </select>
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
                <button type="submit" class="button primary">{t!(i18n, weekly.save_kinds)}</button>
            </ActionForm>
            {move || outcome(t_string!(i18n, weekly.kinds_saved), kinds.value().get())}
        </section>
    }
}
