//! `/office/org`: the township's organisation chart, its villages with their grids and
//! its departments.

use leptos::prelude::*;

use crate::api::get_org_structure;
use crate::components::status::{ErrorMessage, Loading};
use crate::components::title::PageTitle;
use crate::i18n::*;

/// The organisation chart, a link away from the office desk.
#[component]
pub fn OrgPage() -> impl IntoView {
    let i18n = use_i18n();
    let structure = Resource::new(|| (), |_| get_org_structure());
    view! {
        <PageTitle text=move || t_string!(i18n, office.org_title) />
        <h1>{t!(i18n, office.org_title)}</h1>
        <p>{t!(i18n, office.org_intro)}</p>
        <Suspense fallback=|| view! { <Loading /> }>
            {move || Suspend::new(async move {
                match structure.await {
                    Ok(Some(s)) => view! {
                        <h2 class="township-name">{s.township.name}</h2>
                        <div class="columns">
                            <section aria-labelledby="villages-title">
                                <h3 id="villages-title">{t!(i18n, office.villages_title)}</h3>
                                <table class="ledger">
                                    <tbody>
                                        {s.villages.into_iter().map(|v| {
                                            let n = v.grids.len();
                                            view! {
                                                <tr>
                                                    <th scope="row">{v.village.name}</th>
                                                    <td>{move || td_string!(i18n.get_locale(), office.grid_count, n = n)}</td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </section>
                            <section aria-labelledby="departments-title">
                                <h3 id="departments-title">{t!(i18n, office.departments_title)}</h3>
                                <ul role="list" class="plain-list">
                                    {s.departments.into_iter().map(|d| view! { <li>{d.name}</li> }).collect_view()}
                                </ul>
                            </section>
                        </div>
                    }.into_any(),
                    Ok(None) => view! { <p>{t!(i18n, home.no_township)}</p> }.into_any(),
                    Err(error) => view! { <ErrorMessage error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}
