use leptos::prelude::*;

use crate::api::get_org_structure;
use crate::components::status::{ErrorMessage, Loading};
use crate::components::title::PageTitle;
use crate::i18n::*;

/// The township's villages and their grids, for an officer who needs to know whose a
/// place is: rendered on the server, no code of its own in the browser.
#[component]
pub fn VillagesPage() -> impl IntoView {
    let i18n = use_i18n();
    let structure = Resource::new(|| (), |_| get_org_structure());
    view! {
        <PageTitle text=move || t_string!(i18n, field.villages) />
        <h1>{t!(i18n, field.villages)}</h1>
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
