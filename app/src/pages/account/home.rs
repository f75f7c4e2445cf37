use leptos::prelude::*;

use crate::api::ChangePassword;
use crate::components::auth::{LogoutButton, role_label, use_auth};
use crate::components::status::ErrorMessage;
use crate::components::title::PageTitle;
use crate::i18n::*;

/// `/account`: who I am, my roles, change my password, log out.
#[component]
pub fn AccountPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <PageTitle text=move || t_string!(i18n, account.title) />
        <AccountBody />
    }
}

/// An island: the password form answers in place, and logging out wipes the phone.
#[island(lazy)]
fn AccountBody() -> impl IntoView {
    let i18n = crate::components::island::island_i18n();
    let auth = use_auth();
    let change = ServerAction::<ChangePassword>::new();
    let result = move || change.value().get();
    view! {
        <h1>{t!(i18n, account.title)}</h1>
        {move || auth.me.get().map(|user| {
            let roles = user.grants.clone();
            view! {
                <p>{move || td_string!(i18n.get_locale(), account.signed_in_as, name = user.display_name.clone())}</p>
                <h2>{t!(i18n, account.roles)}</h2>
                <ul class="plain-list">
                    {roles.into_iter().map(|g| view! {
                        <li>{move || role_label(i18n, g.role)} " · " {g.unit_name.clone()}</li>
                    }).collect_view()}
                </ul>
            }
        })}
        <LogoutButton />
        <section class="narrow">
            <h2>{t!(i18n, account.change_password)}</h2>
            <ActionForm action=change attr:class="form" attr:id="password-form">
                <label for="current-password">{t!(i18n, account.current_password)}</label>
                <input id="current-password" name="current_password" type="password" autocomplete="current-password" required />
                <label for="new-password">{t!(i18n, account.new_password)}</label>
                <input id="new-password" name="new_password" type="password" autocomplete="new-password" required minlength="12" aria-describedby="password-rules" />
                <p id="password-rules" class="hint">{t!(i18n, account.password_rules)}</p>
                <label for="confirm-password">{t!(i18n, account.confirm_password)}</label>
                <input id="confirm-password" name="confirm_password" type="password" autocomplete="new-password" required minlength="12" />
                {move || match result() {
                    Some(Ok(())) => Some(view! { <p class="notice-ok" role="status">{t!(i18n, account.saved)}</p> }.into_any()),
                    Some(Err(error)) => Some(view! { <ErrorMessage error /> }.into_any()),
                    None => None,
                }}
                <button type="submit" class="button primary">{t!(i18n, account.save)}</button>
            </ActionForm>
        </section>
    }
}
