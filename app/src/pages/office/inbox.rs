//! `/office/reports`: the township inbox of dispute and hazard reports from the villages.
//! The filter is a plain GET form, so a view can be bookmarked and works without
//! JavaScript. Urgent reports come first, then the newest.

use domain::field::{FieldReportSummary, InboxFilter, InboxPage, InboxState, ReportKind, Severity};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::{field_inbox, get_org_structure};
use crate::components::language::encode_path;
use crate::components::report_labels::{
    category_label, inbox_state_label, report_kind_label, severity_label,
};
use crate::components::status::{ErrorMessage, Loading};
use crate::components::title::PageTitle;
use crate::i18n::*;

/// `/office/reports?…` for a filter and a page.
pub fn inbox_href(filter: &InboxFilter, page: u32) -> String {
    let mut q = filter.to_query();
    if page > 1 {
        q.push(("page", page.to_string()));
    }
    let q: Vec<String> = q.iter().map(|(k, v)| format!("{k}={}", encode_path(v))).collect();
    format!("/office/reports?{}", q.join("&"))
}

#[component]
pub fn ReportsPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let filter = Memo::new(move |_| {
        query.with(|q| InboxFilter::from_query(q.into_iter().map(|(k, v)| (k.as_ref(), v))))
    });
    let page = Resource::new(move || filter.get(), field_inbox);
    let villages = Resource::new(|| (), |_| get_org_structure());
    view! {
        <PageTitle text=move || t_string!(i18n, inbox.title) />
        <h1>{t!(i18n, inbox.title)}</h1>
        <p>{t!(i18n, inbox.intro)}</p>
        <Suspense fallback=|| view! { <Loading /> }>
            {move || Suspend::new(async move {
                let villages: Vec<(i64, String)> = villages
                    .await
                    .ok()
                    .flatten()
                    .map(|s| s.villages.into_iter().map(|v| (v.village.id, v.village.name)).collect())
                    .unwrap_or_default();
                view! { <FilterForm filter=filter.get_untracked() villages /> }
            })}
        </Suspense>
        <Transition fallback=|| view! { <Loading /> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(p) => view! { <Rows page=p filter=filter.get_untracked() /> }.into_any(),
                    Err(error) => view! { <ErrorMessage error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn FilterForm(filter: InboxFilter, villages: Vec<(i64, String)>) -> impl IntoView {
    let i18n = use_i18n();
    let any = move || t_string!(i18n, inbox.any);
    let (severity, state, open_only) = (filter.severity, filter.state, filter.open_only);
    view! {
        <form class="filters" method="get" action="/office/reports" role="search" aria-label=move || t_string!(i18n, inbox.filter)>
            <div class="filter">
                <label for="f-village">{t!(i18n, inbox.village)}</label>
                <select id="f-village" name="village">
                    <option value="">{any}</option>
                    {villages.into_iter().map(|(id, name)| view! {
                        <option value=id.to_string() selected=filter.village_id == Some(id)>{name}</option>
                    }).collect_view()}
                </select>
            </div>
            <div class="filter">
                <label for="f-severity">{t!(i18n, inbox.severity)}</label>
                <select id="f-severity" name="severity">
                    <option value="">{any}</option>
                    {Severity::ALL.iter().rev().map(|s| view! {
                        <option value=s.as_str() selected=severity == Some(*s)>{move || severity_label(i18n, *s)}</option>
                    }).collect_view()}
                </select>
            </div>
            <div class="filter">
                <label for="f-state">{t!(i18n, inbox.state)}</label>
                <select id="f-state" name="state">
                    <option value="open" selected=open_only && state.is_none()>{t!(i18n, inbox.open)}</option>
                    {InboxState::ALL.iter().map(|s| view! {
                        <option value=s.as_str() selected=state == Some(*s)>{move || inbox_state_label(i18n, *s)}</option>
                    }).collect_view()}
                    <option value="all" selected=!open_only && state.is_none()>{t!(i18n, inbox.all)}</option>
                </select>
            </div>
            <div class="filter check">
                <input id="f-urgent" name="urgent" type="checkbox" value="1" checked=filter.urgent_only />
                <label for="f-urgent">{t!(i18n, inbox.urgent_only)}</label>
            </div>
            <button type="submit" class="button primary">{t!(i18n, inbox.apply)}</button>
        </form>
    }
}

#[component]
fn Rows(page: InboxPage, filter: InboxFilter) -> impl IntoView {
    let i18n = use_i18n();
    let (total, current, pages, has_next) = (page.total, page.page, page.pages(), page.has_next());
    let kinds = page.kinds;
    view! {
        <p class="registry-total" role="status" id="inbox-total">
            {move || td_string!(i18n.get_locale(), inbox.total, n = total)}
        </p>
        {if page.rows.is_empty() {
            view! { <p>{t!(i18n, inbox.empty)}</p> }.into_any()
        } else {
            view! {
                <div class="table-wrap">
                    <table class="ledger inbox card-rows" id="inbox">
                        <thead>
                            <tr>
                                <th scope="col">{t!(i18n, inbox.kind)}</th>
                                <th scope="col">{t!(i18n, inbox.severity)}</th>
                                <th scope="col">{t!(i18n, inbox.village)}</th>
                                <th scope="col">{t!(i18n, inbox.place)}</th>
                                <th scope="col">{t!(i18n, inbox.found_at)}</th>
                                <th scope="col">{t!(i18n, inbox.people)}</th>
                                <th scope="col">{t!(i18n, inbox.officer)}</th>
                                <th scope="col">{t!(i18n, inbox.state)}</th>
                                <th scope="col">{t!(i18n, inbox.photos)}</th>
                                <th scope="col">{t!(i18n, inbox.needs_township)}</th>
                            </tr>
                        </thead>
                        <tbody>
                            {page.rows.into_iter().map(|r| view! { <Row r kinds=kinds.clone() /> }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }.into_any()
        }}
        {(current > 1 || has_next).then(|| {
            let label = move || td_string!(i18n.get_locale(), inbox.page, page = current, pages = pages);
            view! {
                <nav class="pager" aria-label=label>
                    {(current > 1).then(|| view! { <a class="button" href=inbox_href(&filter, current - 1) rel="prev">{t!(i18n, inbox.previous)}</a> })}
                    <span>{label}</span>
                    {has_next.then(|| view! { <a class="button" href=inbox_href(&filter, current + 1) rel="next">{t!(i18n, inbox.next)}</a> })}
                </nav>
            }
        })}
    }
}

/// Who is involved: the parties as written, and the number of people if given.
pub fn people_text(
    i18n: leptos_i18n::I18nContext<Locale>,
    parties: Option<&str>,
    count: Option<i64>,
) -> String {
    let count = count.map(|n| td_string!(i18n.get_locale(), inbox.person_count, n = n));
    match (parties, count) {
        (Some(p), Some(c)) => format!("{p}（{c}）"),
        (Some(p), None) => p.to_owned(),
        (None, Some(c)) => c,
        (None, None) => String::new(),
    }
}

#[component]
fn Row(r: FieldReportSummary, kinds: Vec<ReportKind>) -> impl IntoView {
    let i18n = use_i18n();
    let href = format!("/office/reports/{}", r.id);
    let (severity, state, category, urgent) = (r.severity, r.state, r.category, r.urgent);
    let (named, attached) = (r.photos_named, r.photos_attached);
    let kind = r.kind;
    let (parties, count) = (r.parties, r.person_count);
    view! {
        <tr class=if urgent { "urgent" } else { "" } data-report=r.client_id>
            <td class="card-title">
                <a href=href>{move || report_kind_label(i18n, &kinds, &kind)}</a>
                <span class="hint">" · "{move || category_label(i18n, category)}</span>
            </td>
            <td class="short" data-label=move || t_string!(i18n, inbox.severity)>
                {move || severity_label(i18n, severity)}
                {urgent.then(|| view! { " " <span class="badge urgent">{t!(i18n, inbox.urgent)}</span> })}
            </td>
            <td class="short" data-label=move || t_string!(i18n, inbox.village)>{r.village_name}</td>
            <td data-label=move || t_string!(i18n, inbox.place)>{r.place}</td>
            <td class="short" data-label=move || t_string!(i18n, inbox.found_at)><time>{domain::audit::format_china_time(r.found_at)}</time></td>
            <td data-label=move || t_string!(i18n, inbox.people)>{move || people_text(i18n, parties.as_deref(), count)}</td>
            <td class="short" data-label=move || t_string!(i18n, inbox.officer)>{r.author}</td>
            <td class="short" data-label=move || t_string!(i18n, inbox.state)>{move || inbox_state_label(i18n, state)}</td>
            <td class="short" data-label=move || t_string!(i18n, inbox.photos)>{move || (named > 0).then(|| td_string!(i18n.get_locale(), inbox.photo_count, attached = attached, named = named))}</td>
            <td class="short" data-label=move || t_string!(i18n, inbox.needs_township)>{move || if r.needs_township { t_string!(i18n, inbox.yes) } else { t_string!(i18n, inbox.no) }}</td>
        </tr>
    }
}
