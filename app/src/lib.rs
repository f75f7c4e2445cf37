//! Minqing's isomorphic app: the same components render on the server (feature `ssr`)
//! and hydrate in the browser (feature `hydrate`).
//!
//! Layout: `pages/` has one module per route, grouped by area (`public`, `field`,
//! `office`, `account`), `components/` the pieces pages share, `api` the server
//! functions, `error` the app layer's error type. Domain rules come from the `domain`
//! crate; storage is reached only through server functions.

#![recursion_limit = "512"]

include!(concat!(env!("OUT_DIR"), "/i18n/mod.rs"));

pub mod api;
pub mod components;
pub mod error;
pub mod outbox;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod session;

use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, Html, MetaTags, provide_meta_context};
use leptos_router::components::{Outlet, ParentRoute, Route, Router, Routes};
use leptos_router::{SsrMode, path};

use crate::components::auth::{RequireArea, provide_auth, user_of_this_request};
use crate::components::island::{HydrationMark, island_i18n};
use crate::components::layout::{Area, AreaFrame};
use crate::components::title::AppTitle;
use crate::i18n::*;
use crate::pages::public::{guide, home, login, not_found::NotFound, offline, petition, track};
use crate::pages::{account, field, office};
use domain::auth::CurrentUser;

/// The HTML document around the app; rendered only on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    session::send_page_security_policy();
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
                <HydrationScripts options islands=true />
                <MetaTags />
            </head>
            <body>
                <App />
                <HydrationMark />
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
        <PageLanguage>
            <AppTitle />
            <Router>
                <WithAuth me=user_of_this_request()>
                <Routes fallback=|| view! { <NotFound /> }>
                    <ParentRoute path=path!("") view=|| area(Area::Public)>
                        <Route path=path!("") view=home::HomePage ssr=SsrMode::Async />
                        <Route path=path!("guide") view=guide::GuidePage ssr=SsrMode::Async />
                        <Route path=path!("offline") view=offline::OfflinePage />
                        <Route path=path!("login") view=login::LoginPage />
                        <Route path=path!("petition") view=petition::PetitionPage ssr=SsrMode::Async />
                        <Route path=path!("track") view=track::TrackPage ssr=SsrMode::Async />
                    </ParentRoute>
                    // Pages for any logged-in person.
                    <ParentRoute path=path!("account") view=|| guarded(Area::Public)>
                        <Route path=path!("") view=account::home::AccountPage ssr=SsrMode::Async />
                    </ParentRoute>
                    <ParentRoute path=path!("field") view=field_area>
                        <Route path=path!("") view=field::home::FieldHome ssr=SsrMode::Async />
                        <Route path=path!("report") view=field::report::ReportPage ssr=SsrMode::Async />
                        <Route path=path!("weekly") view=field::weekly::WeeklyPage ssr=SsrMode::Async />
                        <Route path=path!("outbox") view=field::outbox::OutboxPage ssr=SsrMode::Async />
                        <Route path=path!("villages") view=field::villages::VillagesPage ssr=SsrMode::Async />
                        <Route path=path!("intake") view=office::intake::IntakePage ssr=SsrMode::Async />
                    </ParentRoute>
                    <ParentRoute path=path!("office") view=|| guarded(Area::Office)>
                        <Route path=path!("") view=office::home::OfficeHome ssr=SsrMode::Async />
                        <Route path=path!("users") view=office::users::UsersPage ssr=SsrMode::Async />
                        <Route path=path!("audit") view=office::audit::AuditPage ssr=SsrMode::Async />
                        <Route path=path!("roster") view=office::roster::RosterPage ssr=SsrMode::Async />
                        <Route path=path!("intake") view=office::intake::IntakePage ssr=SsrMode::Async />
                        <Route path=path!("info") view=office::info::OfficeInfoPage ssr=SsrMode::Async />
                        <Route path=path!("org") view=office::org::OrgPage ssr=SsrMode::Async />
                        <Route path=path!("petitions") view=office::registry::RegistryPage ssr=SsrMode::Async />
                        <Route path=path!("petitions/:id") view=office::petition::PetitionPage ssr=SsrMode::Async />
                        <Route path=path!("petitions/:id/print/:doc") view=office::print::PrintPage ssr=SsrMode::Async />
                        <Route path=path!("reports") view=office::inbox::ReportsPage ssr=SsrMode::Async />
                        <Route path=path!("reports/:id") view=office::field_report::ReportPage ssr=SsrMode::Async />
                        <Route path=path!("weekly") view=office::weekly_overview::WeeklyPage ssr=SsrMode::Async />
                    </ParentRoute>
                </Routes>
                </WithAuth>
            </Router>
        </PageLanguage>
    }
}

/// Provides the language and the login state to every page and every island in it: in
/// the browser, this island is the root the others hydrate under.
#[island]
fn WithAuth(me: Option<CurrentUser>, children: Children) -> impl IntoView {
    island_i18n();
    provide_auth(me);
    children()
}

fn area(area: Area) -> impl IntoView {
    view! {
        <AreaFrame area>
            <Outlet />
        </AreaFrame>
    }
}

/// The field area: its pages share the phone's outbox, and the kinds and villages its
/// forms offer (read on the server with every full page load, handed to the `FieldArea`
/// island with the page, and kept on the phone for offline use).
fn field_area() -> impl IntoView {
    use crate::pages::field::PageSetup;
    // The setup and the outbox are for those who report from a village or grid. A petition
    // agent also works here but files no field reports; someone who may not enter gets the
    // login or 403 page, not a refused call.
    let reports = crate::components::auth::use_auth()
        .me
        .with_untracked(|u| u.as_ref().is_some_and(|u| u.files_field_reports()));
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                let setup = if reports { PageSetup::read().await } else { PageSetup::NotReporting };
                view! { <FieldArea setup>{guarded(Area::Field)}</FieldArea> }
            })}
        </Suspense>
    }
}

/// The island every field page sits in: it runs the phone's outbox (and its sync) for
/// the islands within, the outbox badge and the field forms.
#[island(lazy)]
fn FieldArea(setup: crate::pages::field::PageSetup, children: Children) -> impl IntoView {
    use crate::pages::field::PageSetup;
    island_i18n();
    match &setup {
        PageSetup::NotReporting => {}
        PageSetup::Ready(ready) => _ = crate::outbox::provide_outbox(ready.clone()),
        PageSetup::Failed => _ = crate::outbox::provide_outbox(None),
    }
    provide_context(setup);
    children()
}

/// An area only for logged-in people who may enter it. Rendered whole on the server
/// (`SsrMode::Async`), so a redirect to the login page is a real HTTP redirect.
fn guarded(area: Area) -> impl IntoView {
    view! {
        <AreaFrame area>
            <RequireArea area>
                <Outlet />
            </RequireArea>
        </AreaFrame>
    }
}

/// The name of the cookie that remembers the chosen language (leptos_i18n's default).
pub const LOCALE_COOKIE: &str = "i18n_pref_locale";
/// How long the chosen language is remembered.
pub const LOCALE_COOKIE_MAX_AGE_SECS: i64 = 365 * 24 * 3600;

/// The page's language, for everything under it and for `<html lang>`: in the browser,
/// `island_i18n` reads it back from there.
///
/// Not leptos_i18n's `I18nContextProvider`: its context starts an isomorphic effect (to
/// write a language cookie; ours is written by the language switch) that on the server
/// may first run after the page's reactive owner is gone, and then panics on the freed
/// signal (leptos_i18n 0.6.2). Here the context lives under an owner of its own, paused
/// at once so that the effect never runs, and kept for as long as the page.
#[component]
fn PageLanguage(children: Children) -> impl IntoView {
    let owner = Owner::new();
    let i18n = owner.with(|| {
        leptos_i18n::context::init_i18n_context_with_options::<Locale>(
            leptos_i18n::context::I18nContextOptions::default().ssr_lang_header_getter(locale_from_cookie()),
        )
    });
    owner.pause();
    on_cleanup(move || drop(owner));
    provide_context(i18n);
    // Read now: leptos_meta renders `<html>`'s attributes after the page has streamed,
    // outside its reactive arena.
    let locale = i18n.get_locale_untracked();
    let children = children();
    view! {
        {children}
        <Html attr:lang=locale.as_str() attr:dir=locale.direction().as_str() />
    }
}

/// On the server, the locale comes from our cookie and nothing else: leptos_i18n asks
/// this getter for an Accept-Language value, and gets the cookie's locale instead (or
/// nothing, which means zh-CN). In the browser the locale is read from `<html lang>`.
fn locale_from_cookie() -> leptos_i18n::context::UseLocalesOptions {
    leptos_i18n::context::UseLocalesOptions::default().ssr_lang_header_getter(|| {
        #[cfg(feature = "ssr")]
        {
            let parts = use_context::<http::request::Parts>()?;
            let header = parts.headers.get(http::header::COOKIE)?.to_str().ok()?;
            cookie_value(header, LOCALE_COOKIE).map(str::to_owned)
        }
        #[cfg(not(feature = "ssr"))]
        {
            None
        }
    })
}

/// A path on this site: starts with one slash, not two (`//host` is another site), and
/// carries no backslash or control character that a browser might reinterpret. Only
/// such paths are followed after a login or a language switch.
pub fn is_local_path(path: &str) -> bool {
    path.starts_with('/') && !path.starts_with("//") && !path.chars().any(|c| c == '\\' || c.is_control())
}

/// The value of cookie `name` in a `Cookie:` header.
pub fn cookie_value<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim())
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_local_paths_are_followed() {
        use super::is_local_path;
        assert!(is_local_path("/"));
        assert!(is_local_path("/field"));
        assert!(!is_local_path("//evil.example/"));
        assert!(!is_local_path("https://evil.example/"));
        assert!(!is_local_path("/\\evil.example"));
        assert!(!is_local_path("/a\nb"));
        assert!(!is_local_path(""));
    }

    /// The two locale files name the same texts, and every problem code a rule can answer
    /// and every state, step, channel and kind of a petition has its text in both: a
    /// missing one would show a key to a person. (The codes the server answers with are
    /// checked beside their sentences, in `error::tests`.)
    #[test]
    fn both_languages_have_every_text_and_every_problem() {
        use std::collections::BTreeSet;
        fn leaves(path: &str, value: &serde_json::Value, out: &mut BTreeSet<String>) {
            match value.as_object() {
                Some(map) => {
                    for (key, inner) in map {
                        let path = if path.is_empty() {
                            key.clone()
                        } else {
                            format!("{path}.{key}")
                        };
                        leaves(&path, inner, out);
                    }
                }
                None => {
                    out.insert(path.to_owned());
                }
            }
        }
        let keys = |text: &str| {
            let value: serde_json::Value = serde_json::from_str(text).expect("locale file is JSON");
            let mut out = BTreeSet::new();
            leaves("", &value, &mut out);
            out
        };
        let zh = keys(include_str!("../locales/zh-CN.json"));
        let en = keys(include_str!("../locales/en.json"));
        assert_eq!(
            zh.symmetric_difference(&en).collect::<Vec<_>>(),
            Vec::<&String>::new()
        );
        for p in domain::Problem::ALL {
            assert!(zh.contains(&format!("problem.{}", p.code())), "{}", p.code());
        }
        use domain::petition::{Channel, PetitionKind, PetitionState, Step};
        let names = Channel::ALL
            .iter()
            .map(|c| format!("channel.{}", c.as_str()))
            .chain(
                PetitionKind::ALL
                    .iter()
                    .map(|k| format!("petition_kind.{}", k.as_str())),
            )
            .chain(
                PetitionState::ALL
                    .iter()
                    .map(|s| format!("petition_state.{}", s.as_str())),
            )
            // `return` is a Rust keyword, so its key is `return_case`; the filing is a step
            // of the timeline too.
            .chain(Step::ALL.iter().map(|s| match s {
                Step::Return => "petition_step.return_case".to_owned(),
                s => format!("petition_step.{}", s.as_str()),
            }))
            .chain(["petition_step.file".to_owned()]);
        for name in names {
            assert!(zh.contains(&name), "{name}");
        }
        // The words the server's ledgers use are those texts, in either language.
        use crate::components::labels::{channel_name, petition_kind_name, state_name};
        use crate::i18n::Locale;
        for s in PetitionState::ALL {
            assert_ne!(state_name(Locale::zh_CN, *s), state_name(Locale::en, *s));
        }
        for c in Channel::ALL {
            assert_ne!(channel_name(Locale::zh_CN, *c), channel_name(Locale::en, *c));
        }
        for k in PetitionKind::ALL {
            assert_ne!(
                petition_kind_name(Locale::zh_CN, *k),
                petition_kind_name(Locale::en, *k)
            );
        }
    }

    #[test]
    fn cookie_values_are_found_by_exact_name() {
        let header = "a=1; i18n_pref_locale=en;  minqing_session=abc";
        assert_eq!(super::cookie_value(header, "i18n_pref_locale"), Some("en"));
        assert_eq!(super::cookie_value(header, "minqing_session"), Some("abc"));
        assert_eq!(super::cookie_value(header, "locale"), None);
        assert_eq!(super::cookie_value("", "a"), None);
    }
}
