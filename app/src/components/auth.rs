//! Who is logged in, as the pages see it: the login and logout actions, the current
//! user, the guard around each area, and the user menu in the top bar. The server
//! decides every read and write on its own; these only shape what a page shows.

use domain::auth::{CurrentUser, Role};
use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_location;

use crate::api::Logout;
use crate::components::icon::{self, Icon};
use crate::components::language::LanguageSwitch;
use crate::components::layout::Area;
use crate::i18n::*;

/// The current user, shared by the whole page.
///
/// The user is known on the server before rendering starts (the edge resolved the
/// session), so it is a plain value, sent to the browser with the page (a prop of the
/// `WithAuth` island): nothing waits for it, and every part of the page sees the same
/// answer. Logging in or out loads the next page afresh, which brings the new value.
#[derive(Clone, Copy)]
pub struct Auth {
    pub me: ReadSignal<Option<CurrentUser>>,
}

/// The logged-in person, on the server; the browser gets it from the page.
pub fn user_of_this_request() -> Option<CurrentUser> {
    #[cfg(feature = "ssr")]
    {
        crate::session::caller().user
    }
    #[cfg(not(feature = "ssr"))]
    {
        None
    }
}

pub fn provide_auth(me: Option<CurrentUser>) {
    let me = RwSignal::new(me).read_only();
    provide_context(Auth { me });
}

pub fn use_auth() -> Auth {
    expect_context::<Auth>()
}

/// May this person use this area? The office is for office roles, the field area for
/// field roles; the public area is open to all.
pub fn may_enter(area: Area, user: &CurrentUser) -> bool {
    match area {
        Area::Public => true,
        Area::Office => user.has_office_role(),
        Area::Field => user.has_field_role(),
    }
}

/// Shows `children` only to a logged-in person allowed in `area`: anyone else is sent
/// to the login page (and back here afterwards), or told they have no access.
#[component]
pub fn RequireArea(area: Area, children: ChildrenFn) -> impl IntoView {
    let auth = use_auth();
    let location = use_location();
    move || match auth.me.get() {
        Some(user) if may_enter(area, &user) => children().into_any(),
        Some(user) => view! { <Forbidden home=user.home() /> }.into_any(),
        None => {
            let here = location.pathname.get_untracked();
            let search = location.search.get_untracked();
            let next = if search.is_empty() {
                here
            } else {
                format!("{here}?{search}")
            };
            let path = format!("/login?next={}", crate::components::language::encode_path(&next));
            view! { <Redirect path /> }.into_any()
        }
    }
}

/// The answer to a person who is logged in but may not enter: status 403, and the way
/// back to their own desk.
#[component]
pub fn Forbidden(home: &'static str) -> impl IntoView {
    let i18n = use_i18n();
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::FORBIDDEN);
    }
    view! {
        <section class="panel" role="alert">
            <h1>{t!(i18n, forbidden.title)}</h1>
            <p>{t!(i18n, forbidden.text)}</p>
            <p>
                <a class="button" href=home>
                    {t!(i18n, forbidden.go_home)}
                </a>
            </p>
        </section>
    }
}

/// The name of a role in the reader's language.
pub fn role_label(i18n: leptos_i18n::I18nContext<Locale>, role: Role) -> &'static str {
    match role {
        Role::Admin => t_string!(i18n, role.admin),
        Role::Clerk => t_string!(i18n, role.clerk),
        Role::CaseLeader => t_string!(i18n, role.case_leader),
        Role::Handler => t_string!(i18n, role.handler),
        Role::InfoOfficer => t_string!(i18n, role.info_officer),
        Role::GridWorker => t_string!(i18n, role.grid_worker),
        Role::PetitionAgent => t_string!(i18n, role.petition_agent),
    }
}

/// The top bar's menu: who is logged in and their account page (or the login link),
/// and the language switch. A `<details>` disclosure, so it opens without the wasm; the
/// name also shows beside the icon where the bar has room (CSS).
#[component]
pub fn UserMenu() -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let name = move || auth.me.with(|u| u.as_ref().map(|u| u.display_name.clone()));
    let label = move || match name() {
        Some(name) => td_string!(i18n.get_locale(), menu.label_user, name = name),
        None => t_string!(i18n, menu.label).to_owned(),
    };
    view! {
        <details class="bar-menu">
            <summary aria-label=label title=label>
                {move || match name() {
                    Some(name) => view! {
                        <Icon path=icon::PERSON class="bar-icon" />
                        <span class="bar-menu-name">{name}</span>
                    }.into_any(),
                    None => view! { <Icon path=icon::MENU class="bar-icon" /> }.into_any(),
                }}
            </summary>
            <div class="bar-menu-panel">
                {move || match name() {
                    Some(name) => view! {
                        <p class="bar-menu-who">{name}</p>
                        <a href="/account">{t!(i18n, nav.account)}</a>
                    }.into_any(),
                    None => view! { <a href="/login">{t!(i18n, nav.login)}</a> }.into_any(),
                }}
                <LanguageSwitch />
            </div>
        </details>
    }
}

/// The logout button: a plain form post to the logout function, so it works before the
/// page is interactive too. Once hydrated it first wipes what this site keeps on the
/// phone (the field outbox, drafts, saved pages), after warning about anything unsent.
#[island(lazy)]
pub fn LogoutButton() -> impl IntoView {
    let i18n = crate::components::island::island_i18n();
    let logout = ServerAction::<Logout>::new();
    // Logged out: load the next page afresh (see `api::go_to`).
    Effect::new(move |_| {
        let gone = logout.value().get().and_then(Result::ok);
        if let Some(path) = gone.filter(|p| crate::is_local_path(p)) {
            let _ = window().location().set_href(&path);
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        leptos::task::spawn_local(async move {
            let unsent = crate::outbox::unsent_on_this_phone().await;
            if unsent > 0 {
                let warning = td_string!(i18n.get_locale(), account.logout_unsent, n = unsent);
                if !window().confirm_with_message(&warning).unwrap_or(false) {
                    return;
                }
            }
            if let Err(e) = crate::outbox::wipe_phone().await {
                leptos::logging::warn!("phone data not wiped: {e}");
            }
            logout.dispatch(Logout {});
        });
    };
    view! {
        <form method="post" action="/api/logout" on:submit=on_submit>
            <button type="submit" class="button secondary">
                {t!(i18n, account.logout)}
            </button>
        </form>
    }
}
