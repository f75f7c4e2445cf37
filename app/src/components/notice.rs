use leptos::prelude::*;

use crate::components::title::PageTitle;

/// A page-sized message with a way back home: the 404 and offline pages.
#[component]
pub fn NoticePanel(
    title: impl Fn() -> &'static str + Send + Sync + Copy + 'static,
    text: impl Fn() -> &'static str + Send + Sync + 'static,
    back_home: impl Fn() -> &'static str + Send + Sync + 'static,
) -> impl IntoView {
    view! {
        <PageTitle text=title />
        <section class="panel">
            <h1>{title}</h1>
            <p>{text}</p>
            <a class="button" href="/">
                {back_home}
            </a>
        </section>
    }
}
