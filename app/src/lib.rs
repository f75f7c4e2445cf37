//! Minqing's isomorphic app: the same components render on the server (feature `ssr`)
//! and hydrate in the browser (feature `hydrate`).
//!
//! Layout: `pages/` has one module per route, `components/` the pieces pages share,
//! `api` the server functions, `error` the app layer's error type. Domain rules come
//! from the `domain` crate; storage is reached only through server functions.

#![recursion_limit = "512"]

include!(concat!(env!("OUT_DIR"), "/i18n/mod.rs"));

pub mod api;
pub mod components;
pub mod error;
pub mod pages;

use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, MetaTags, Title, provide_meta_context};
use leptos_router::components::{Outlet, ParentRoute, Route, Router, Routes};
use leptos_router::{SsrMode, path};

use crate::components::layout::{Area, AreaFrame};
use crate::i18n::*;
use crate::pages::{field, guide, home, not_found::NotFound, office, offline};

/// The HTML document around the app; rendered only on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="theme-color" content="#a61b1b" />
                <meta name="description" content="民情：乡镇信访工作平台" />
                <link rel="manifest" href="/manifest.webmanifest" />
                <link rel="icon" type="image/png" sizes="192x192" href="/icons/icon-192.png" />
                <link rel="apple-touch-icon" href="/icons/icon-192.png" />
                <HashedStylesheet options=options.clone() id="leptos" />
                <script src="/pwa.js" defer></script>
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        // zh-CN unless the person chose English: the browser's Accept-Language is not
        // consulted, so a shared office PC set up in English still opens in Chinese.
        <I18nContextProvider ssr_lang_header_getter=no_accept_language() cookie_options=locale_cookie()>
            <AppTitle />
            <Router>
                <Routes fallback=|| view! { <NotFound /> }>
                    <ParentRoute path=path!("") view=|| area(Area::Public)>
                        <Route path=path!("") view=home::HomePage ssr=SsrMode::Async />
                        <Route path=path!("guide") view=guide::GuidePage />
                        <Route path=path!("offline") view=offline::OfflinePage />
                    </ParentRoute>
                    <ParentRoute path=path!("field") view=|| area(Area::Field)>
                        <Route path=path!("") view=field::FieldHome ssr=SsrMode::Async />
                    </ParentRoute>
                    <ParentRoute path=path!("office") view=|| area(Area::Office)>
                        <Route path=path!("") view=office::OfficeHome ssr=SsrMode::Async />
                    </ParentRoute>
                </Routes>
            </Router>
        </I18nContextProvider>
    }
}

fn area(area: Area) -> impl IntoView {
    view! {
        <AreaFrame area>
            <Outlet />
        </AreaFrame>
    }
}

#[component]
fn AppTitle() -> impl IntoView {
    let i18n = use_i18n();
    view! { <Title formatter=move |page: String| format_title(&page, t_string!(i18n, app_name)) /> }
}

fn format_title(page: &str, app: &str) -> String {
    if page.is_empty() {
        app.to_owned()
    } else {
        format!("{page} · {app}")
    }
}

/// The name of the cookie that remembers the chosen language (leptos_i18n's default).
pub const LOCALE_COOKIE: &str = "i18n_pref_locale";
/// How long the chosen language is remembered.
pub const LOCALE_COOKIE_MAX_AGE_SECS: i64 = 365 * 24 * 3600;

/// The language cookie holds for the whole site and for a year, not just this path and
/// this browser session.
fn locale_cookie() -> leptos_i18n::context::CookieOptions<Locale> {
    leptos_i18n::context::CookieOptions::<Locale>::default()
        .path("/")
        .max_age(LOCALE_COOKIE_MAX_AGE_SECS * 1000)
}

/// Locale options that ignore Accept-Language (see [`App`]).
fn no_accept_language() -> leptos_i18n::context::UseLocalesOptions {
    leptos_i18n::context::UseLocalesOptions::default().ssr_lang_header_getter(|| None)
}
