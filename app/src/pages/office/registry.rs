//! `/office/petitions`: the registry (信访登记簿). The filter is a plain GET form, so the
//! address of a search can be bookmarked, shared and exported as it stands.

use domain::petition::{Channel, PetitionKind, PetitionState};
use domain::registry::{RegistryFilter, RegistryPage, Sort};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::{FormData, petition_form_data, petition_registry};
use crate::components::labels::{channel_label, kind_label, state_label};
use crate::components::status::{ErrorMessage, Loading};
use crate::components::title::PageTitle;
use crate::i18n::*;

fn query_string(pairs: &[(&'static str, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", crate::components::language::encode_path(v)))
        .collect::<Vec<_>>()
        .join("&")
}

#[component]
pub fn RegistryPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let filter = Memo::new(move |_| {
        query.with(|q| RegistryFilter::from_query(q.into_iter().map(|(k, v)| (k.as_ref(), v))))
    });
    let page = Resource::new(move || filter.get(), petition_registry);
    let options = Resource::new(|| (), |_| petition_form_data());
    view! {
        <PageTitle text=move || t_string!(i18n, registry.title) />
        <h1>{t!(i18n, registry.title)}</h1>
        <p class="row-actions">
            <a class="button" href="/office/petitions?state=submitted">{t!(i18n, registry.inbox)}</a>
            <a class="button" href="/office/intake">{t!(i18n, nav.intake)}</a>
        </p>
        <Suspense fallback=|| view! { <Loading /> }>
            {move || Suspend::new(async move {
                match options.await {
                    Ok(data) => view! { <FilterForm filter=filter.get_untracked() data /> }.into_any(),
                    Err(error) => view! { <ErrorMessage error /> }.into_any(),
                }
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
fn FilterForm(filter: RegistryFilter, data: FormData) -> impl IntoView {
    let i18n = use_i18n();
    let any = move || t_string!(i18n, registry.any);
    let state = filter.state;
    let channel = filter.channel;
    let kind = filter.kind;
    view! {
        <form class="filters" method="get" action="/office/petitions" role="search" aria-label=move || t_string!(i18n, registry.filter)>
            <div class="filter">
                <label for="q">{t!(i18n, registry.query)}</label>
                <input id="q" name="q" type="search" value=filter.query.clone().unwrap_or_default() />
            </div>
            <div class="filter">
                <label for="f-state">{t!(i18n, registry.filter)}": "{t!(i18n, track.status)}</label>
                <select id="f-state" name="state">
                    <option value="">{any}</option>
                    {PetitionState::ALL.iter().map(|s| view! {
                        <option value=s.as_str() selected=state == Some(*s)>{move || state_label(i18n, *s)}</option>
                    }).collect_view()}
                </select>
            </div>
            <div class="filter">
                <label for="f-channel">{t!(i18n, fields.channel)}</label>
                <select id="f-channel" name="channel">
                    <option value="">{any}</option>
                    {Channel::ALL.iter().map(|c| view! {
                        <option value=c.as_str() selected=channel == Some(*c)>{move || channel_label(i18n, *c)}</option>
                    }).collect_view()}
                </select>
            </div>
            <div class="filter">
                <label for="f-kind">{t!(i18n, fields.petition_kind)}</label>
                <select id="f-kind" name="kind">
                    <option value="">{any}</option>
                    {PetitionKind::ALL.iter().map(|k| view! {
                        <option value=k.as_str() selected=kind == Some(*k)>{move || kind_label(i18n, *k)}</option>
                    }).collect_view()}
                </select>
            </div>
            <div class="filter">
                <label for="f-village">{t!(i18n, registry.village)}</label>
                <select id="f-village" name="village">
                    <option value="">{any}</option>
                    {data.villages.into_iter().map(|(id, name)| view! {
                        <option value=id.to_string() selected=filter.village_id == Some(id)>{name}</option>
                    }).collect_view()}
                </select>
            </div>
            <div class="filter">
                <label for="f-department">{t!(i18n, registry.department)}</label>
                <select id="f-department" name="department">
                    <option value="">{any}</option>
                    {data.departments.into_iter().map(|(id, name)| view! {
                        <option value=id.to_string() selected=filter.department_id == Some(id)>{name}</option>
                    }).collect_view()}
                </select>
            </div>
            <div class="filter">
                <label for="f-from">{t!(i18n, registry.from)}</label>
                <input id="f-from" name="from" type="date" value=filter.from.map(|d| d.to_string()).unwrap_or_default() />
            </div>
            <div class="filter">
                <label for="f-to">{t!(i18n, registry.to)}</label>
                <input id="f-to" name="to" type="date" value=filter.to.map(|d| d.to_string()).unwrap_or_default() />
            </div>
            <div class="filter">
                <label for="f-sort">{t!(i18n, registry.sort)}</label>
                <select id="f-sort" name="sort">
                    <option value="newest">{t!(i18n, registry.newest)}</option>
                    <option value="oldest" selected=filter.sort == Sort::Oldest>{t!(i18n, registry.oldest)}</option>
                </select>
            </div>
            <button type="submit" class="button primary">{t!(i18n, registry.apply)}</button>
        </form>
    }
}

#[component]
fn Rows(page: RegistryPage, filter: RegistryFilter) -> impl IntoView {
    let i18n = use_i18n();
    let base = filter.to_query();
    let link = move |p: u32| {
        let mut q = base.clone();
        q.push(("page", p.to_string()));
        format!("/office/petitions?{}", query_string(&q))
    };
    let export = |ext: &str| format!("/office/petitions.{ext}?{}", query_string(&filter.to_query()));
    let (total, current, pages, has_next) = (page.total, page.page, page.pages(), page.has_next);
    view! {
        <p class="registry-total" role="status">
            {move || match total {
                None => td_string!(i18n.get_locale(), registry.total_many).to_string(),
                Some(n) if n > domain::registry::COUNT_CAP => {
                    td_string!(i18n.get_locale(), registry.total_capped, n = domain::registry::COUNT_CAP).to_string()
                }
                Some(n) => td_string!(i18n.get_locale(), registry.total, n = n).to_string(),
            }}
            " "
            <a href=export("xlsx") rel="external" download>{t!(i18n, registry.export_xlsx)}</a>" · "
            <a href=export("csv") rel="external" download>{t!(i18n, registry.export_csv)}</a>
        </p>
        {if page.rows.is_empty() {
            view! { <p>{t!(i18n, registry.empty)}</p> }.into_any()
        } else {
            view! {
                <div class="table-wrap">
                    <table class="ledger registry card-rows">
                        <thead>
                            <tr>
                                <th scope="col">{t!(i18n, fields.tracking_code)}</th>
                                <th scope="col">{t!(i18n, fields.subject)}</th>
                                <th scope="col">{t!(i18n, track.status)}</th>
                                <th scope="col">{t!(i18n, fields.channel)}</th>
                                <th scope="col">{t!(i18n, registry.village)}</th>
                                <th scope="col">{t!(i18n, registry.department)}</th>
                                <th scope="col">{t!(i18n, registry.received)}</th>
                            </tr>
                        </thead>
                        <tbody>
                            {page.rows.into_iter().map(|r| {
                                let href = format!("/office/petitions/{}", r.id);
                                let (state, channel) = (r.state, r.channel);
                                view! {
                                    <tr>
                                        <td class="short card-title"><a href=href>{r.tracking_code}</a></td>
                                        <td class="card-text">{r.subject}{r.collective.then(|| view! { " " <span class="badge">{t!(i18n, registry.collective)}</span> })}</td>
                                        <td class="short" data-label=move || t_string!(i18n, track.status)>{move || state_label(i18n, state)}</td>
                                        <td class="short" data-label=move || t_string!(i18n, fields.channel)>{move || channel_label(i18n, channel)}</td>
                                        <td class="short" data-label=move || t_string!(i18n, registry.village)>{r.village_name.unwrap_or_default()}</td>
                                        <td data-label=move || t_string!(i18n, registry.department)>{r.department_name.unwrap_or_default()}</td>
                                        <td class="short" data-label=move || t_string!(i18n, registry.received)><time>{domain::audit::format_china_time(r.received_at)}</time></td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }.into_any()
        }}
        {(current > 1 || has_next).then(|| {
            let label = move || match pages {
                Some(pages) => td_string!(i18n.get_locale(), registry.page, page = current, pages = pages).to_string(),
                None => td_string!(i18n.get_locale(), registry.page_only, page = current).to_string(),
            };
            view! {
                <nav class="pager" aria-label=label>
                    {(current > 1).then(|| view! { <a class="button" href=link(current - 1) rel="prev">{t!(i18n, registry.previous)}</a> })}
                    <span>{label}</span>
                    {has_next.then(|| view! { <a class="button" href=link(current + 1) rel="next">{t!(i18n, registry.next)}</a> })}
                </nav>
            }
        })}
    }
}
