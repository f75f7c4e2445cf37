use leptos::prelude::*;

use crate::api::get_township_overview;
use crate::components::status::{ErrorMessage, Loading};
use crate::components::title::PageTitle;
use crate::i18n::*;

/// The front door: what Minqing is, and the way into each area.
#[component]
pub fn HomePage() -> impl IntoView {
    let i18n = use_i18n();
    let overview = Resource::new(|| (), |_| get_township_overview());
    view! {
        <PageTitle text=|| "" />
        <section class="hero">
            <h1>
                {t!(i18n, app_name)}
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        overview.await.ok().flatten().map(|o| view! { <span class="hero-place">{o.township}</span> })
                    })}
                </Suspense>
            </h1>
            <p class="tagline">{t!(i18n, tagline)}</p>
            <p>{t!(i18n, home.intro)}</p>
            <Suspense fallback=|| view! { <Loading /> }>
                {move || Suspend::new(async move {
                    match overview.await {
                        Ok(Some(o)) => view! {
                            <p class="summary" data-testid="township-summary">
                                {td_string!(
                                    i18n.get_locale(), home.township_summary,
                                    villages = o.villages, grids = o.grids, departments = o.departments
                                )}
                            </p>
                        }.into_any(),
                        Ok(None) => view! { <p class="summary">{t!(i18n, home.no_township)}</p> }.into_any(),
                        Err(error) => view! { <ErrorMessage error /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
        <ul class="cards" role="list">
            <AreaCard href="/guide" title=move || t_string!(i18n, home.public_title) text=move || t_string!(i18n, home.public_text) />
            <AreaCard href="/field" title=move || t_string!(i18n, home.field_title) text=move || t_string!(i18n, home.field_text) />
            <AreaCard href="/office" title=move || t_string!(i18n, home.office_title) text=move || t_string!(i18n, home.office_text) />
        </ul>
    }
}

#[component]
fn AreaCard(
    href: &'static str,
    title: impl Fn() -> &'static str + Send + Sync + Copy + 'static,
    text: impl Fn() -> &'static str + Send + Sync + 'static,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <li class="card">
            <a href=href>
                <h2>{title}</h2>
                <p>{text}</p>
                <span class="card-action" aria-hidden="true">
                    {t!(i18n, home.enter)}
                    " →"
                </span>
            </a>
        </li>
    }
}
