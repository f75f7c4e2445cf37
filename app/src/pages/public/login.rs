use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use leptos::server_fn::ServerFn;
use leptos::server_fn::error::ServerFnUrlError;

use crate::api::Login;
use crate::components::status::ErrorMessage;
use crate::components::title::PageTitle;
use crate::error::AppError;
use crate::i18n::*;

/// `/login`: a plain form that works before hydration (and without JavaScript); the
/// server sets the session cookie and sends the person on.
#[component]
pub fn LoginPage() -> impl IntoView {
    let i18n = use_i18n();
    let login = ServerAction::<Login>::new();
    let query = use_query_map();
    let next = move || query.with(|q| q.get("next")).unwrap_or_default();
    // The form is a plain post (this page has no island), and a failure comes back in
    // the URL (`__err`).
    let url_error = move || {
        query.with(|q| {
            (q.get("__path").as_deref() == Some(<Login as ServerFn>::PATH))
                .then(|| q.get("__err"))
                .flatten()
                .map(|e| ServerFnUrlError::<AppError>::decode_err(&e))
        })
    };
    let error = move || login.value().get().and_then(Result::err).or_else(url_error);
    view! {
        <PageTitle text=move || t_string!(i18n, login.title) />
        <section class="narrow">
            <h1>{t!(i18n, login.title)}</h1>
            <p>{t!(i18n, login.intro)}</p>
            <ActionForm action=login attr:class="form" attr:id="login-form">
                <input type="hidden" name="next" value=next />
                <label for="login-username">{t!(i18n, login.username)}</label>
                <input
                    id="login-username"
                    name="username"
                    type="text"
                    autocomplete="username"
                    autocapitalize="none"
                    spellcheck="false"
                    required
                    maxlength="64"
                />
                <label for="login-password">{t!(i18n, login.password)}</label>
                <input
                    id="login-password"
                    name="password"
                    type="password"
                    autocomplete="current-password"
                    required
                    maxlength="256"
                />
                {move || error().map(|error| view! { <ErrorMessage error /> })}
                <button type="submit" class="button primary">
                    {t!(i18n, login.submit)}
                </button>
            </ActionForm>
            <p class="hint">{t!(i18n, login.forgot)}</p>
        </section>
    }
}
