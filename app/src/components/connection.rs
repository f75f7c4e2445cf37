//! Online / offline indicator. The server cannot know, so it renders "online"; once
//! hydrated the browser's own state and its `online`/`offline` events take over.

use leptos::prelude::*;

use crate::i18n::*;

#[island]
pub fn ConnectionStatus() -> impl IntoView {
    let i18n = crate::components::island::island_i18n();
    let (online, set_online) = signal(true);
    // Effects run only in the browser, after hydration.
    Effect::new(move |_| set_online.set(window().navigator().on_line()));
    let on = window_event_listener(leptos::ev::online, move |_| set_online.set(true));
    let off = window_event_listener(leptos::ev::offline, move |_| set_online.set(false));
    on_cleanup(move || {
        on.remove();
        off.remove();
    });
    view! {
        <span
            class="connection"
            class:offline=move || !online.get()
            role="status"
            aria-label=move || t_string!(i18n, connection.label)
            data-online=move || online.get().to_string()
        >
            <span class="connection-text">
                {move || if online.get() { t_string!(i18n, connection.online) } else { t_string!(i18n, connection.offline) }}
            </span>
        </span>
    }
}
