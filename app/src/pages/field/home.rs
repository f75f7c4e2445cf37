use leptos::prelude::*;

use crate::api::get_org_structure;
use crate::components::status::{ErrorMessage, Loading};
use crate::components::title::PageTitle;
use crate::i18n::*;
use crate::outbox::use_outbox;
use crate::pages::field::{field_setup, weekly_status_label};

/// The village officers' desk on the phone.
#[component]
pub fn FieldHome() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <PageTitle text=move || t_string!(i18n, field.title) />
        <FieldHomeBody />
    }
}

/// An island: the desk counts what this phone still holds.
#[island(lazy)]
fn FieldHomeBody() -> impl IntoView {
    let i18n = crate::components::island::island_i18n();
    let auth = crate::components::auth::use_auth();
    let structure = Resource::new(|| (), |_| get_org_structure());
    let outbox = use_outbox();
    let unsent = move || outbox.map_or(0, |o| o.unsent());
    view! {
        <h1>{t!(i18n, field.title)}</h1>
        <p>{t!(i18n, field.intro)}</p>
        // Petition agents have no village to report for: their desk is the intake form.
        {field_setup().ok().flatten().map(|s| {
                    let weekly = auth.me.with_untracked(|u| u.as_ref().is_some_and(|u| u.files_weekly_reports()));
                    let this_week = s.weekly.iter().filter(|w| w.week == domain::field::Week::of(s.server_time)).cloned().collect::<Vec<_>>();
                    view! {
                        <nav class="field-actions" aria-label=move || t_string!(i18n, field.actions)>
                            <a class="action-tile" href="/field/report">{t!(i18n, field.new_report)}</a>
                            {weekly.then(|| view! { <a class="action-tile" href="/field/weekly">{t!(i18n, field.weekly_report)}</a> })}
                            <a class="action-tile" href="/field/outbox">
                                {t!(i18n, field.outbox)}
                                <span class="count" data-testid="home-unsent">{move || unsent().to_string()}</span>
                            </a>
                        </nav>
                        <h2>{t!(i18n, field.this_week)}</h2>
                        <ul class="plain-list" role="list">
                            {this_week.into_iter().map(|w| {
                                let status = w.status;
                                view! {
                                    <li class=format!("week-status week-{}", status.as_str())>
                                        <strong>{w.village_name}</strong>" "
                                        {move || weekly_status_label(i18n, status)}
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }
                })}
        <h2>{t!(i18n, field.directory_title)}</h2>
        <Suspense fallback=|| view! { <Loading /> }>
            {move || Suspend::new(async move {
                match structure.await {
                    Ok(Some(s)) => view! {
                        <ul class="directory" role="list">
                            {s.villages.into_iter().map(|v| {
                                let grids = v.grids.iter().map(|g| g.name.as_str()).collect::<Vec<_>>().join("、");
                                view! {
                                    <li class="directory-item">
                                        <strong>{v.village.name}</strong>
                                        <span>{move || td_string!(i18n.get_locale(), field.grids, names = grids.clone())}</span>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                    Ok(None) => view! { <p>{t!(i18n, home.no_township)}</p> }.into_any(),
                    Err(error) => view! { <ErrorMessage error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}
