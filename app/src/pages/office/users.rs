use domain::auth::{Role, UserSummary};
use domain::org::OrgStructure;
use leptos::prelude::*;

use crate::api::{
    CreateUser, ResetUserPassword, RevokeUserSessions, SetUserDisabled, get_org_structure, list_users,
};
use crate::components::auth::role_label;
use crate::components::status::{ErrorMessage, Loading};
use crate::components::title::PageTitle;
use crate::error::AppError;
use crate::i18n::*;

/// `/office/users`: the admin's accounts page. Create, disable, reset, log out
/// everywhere. The server checks every call against the admin's scope.
#[component]
pub fn UsersPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <PageTitle text=move || t_string!(i18n, users.title) />
        <UsersBody />
    }
}

/// An island: every action answers in place and the list follows.
#[island(lazy)]
fn UsersBody() -> impl IntoView {
    let i18n = crate::components::island::island_i18n();
    let create = ServerAction::<CreateUser>::new();
    let disable = ServerAction::<SetUserDisabled>::new();
    let reset = ServerAction::<ResetUserPassword>::new();
    let revoke = ServerAction::<RevokeUserSessions>::new();
    let users = Resource::new(
        move || {
            (
                create.version().get(),
                disable.version().get(),
                reset.version().get(),
                revoke.version().get(),
            )
        },
        |_| list_users(),
    );
    let structure = Resource::new(|| (), |_| get_org_structure());
    // The last row action's outcome, shown once above the list.
    let row_result = move || {
        let done = t_string!(i18n, users.done).to_owned();
        let pick = |r: Option<Result<(), AppError>>| r.map(|r| r.map(|()| done.clone()));
        pick(disable.value().get())
            .or_else(|| pick(reset.value().get()))
            .or_else(|| {
                revoke
                    .value()
                    .get()
                    .map(|r| r.map(|n| td_string!(i18n.get_locale(), users.revoked, n = n)))
            })
    };
    view! {
        <h1>{t!(i18n, users.title)}</h1>
        <section aria-labelledby="create-title" class="narrow">
            <h2 id="create-title">{t!(i18n, users.create_title)}</h2>
            <ActionForm action=create attr:class="form" attr:id="create-user-form">
                <label for="new-username">{t!(i18n, fields.username)}</label>
                <input id="new-username" name="username" type="text" required autocapitalize="none" spellcheck="false" maxlength="32" />
                <label for="new-display-name">{t!(i18n, fields.display_name)}</label>
                <input id="new-display-name" name="display_name" type="text" required maxlength="32" />
                <label for="new-phone">{t!(i18n, fields.phone)}</label>
                <input id="new-phone" name="phone" type="tel" inputmode="tel" maxlength="20" />
                <label for="new-role">{t!(i18n, fields.role)}</label>
                <select id="new-role" name="role" required>
                    <option value="">{t!(i18n, users.choose_role)}</option>
                    {Role::ALL.into_iter().map(|role| view! {
                        <option value=role.as_str()>{move || role_label(i18n, role)}</option>
                    }).collect_view()}
                </select>
                <label for="new-unit">{t!(i18n, fields.unit)}</label>
                <Suspense fallback=|| view! { <Loading /> }>
                    {move || Suspend::new(async move {
                        match structure.await {
                            Ok(Some(s)) => view! { <UnitSelect structure=s /> }.into_any(),
                            Ok(None) => view! { <p>{t!(i18n, home.no_township)}</p> }.into_any(),
                            Err(error) => view! { <ErrorMessage error /> }.into_any(),
                        }
                    })}
                </Suspense>
                <label for="new-password">{t!(i18n, users.initial_password)}</label>
                <input id="new-password" name="password" type="text" required minlength="12" autocomplete="off" aria-describedby="new-password-rules" />
                <p id="new-password-rules" class="hint">{t!(i18n, account.password_rules)}</p>
                {move || match create.value().get() {
                    Some(Ok(_)) => Some(view! { <p class="notice-ok" role="status">{t!(i18n, users.created)}</p> }.into_any()),
                    Some(Err(error)) => Some(view! { <ErrorMessage error /> }.into_any()),
                    None => None,
                }}
                <button type="submit" class="button primary">{t!(i18n, users.create)}</button>
            </ActionForm>
        </section>
        <section aria-labelledby="list-title">
            <h2 id="list-title">{t!(i18n, users.list_title)}</h2>
            {move || row_result().map(|r| match r {
                Ok(text) => view! { <p class="notice-ok" role="status">{text}</p> }.into_any(),
                Err(error) => view! { <ErrorMessage error /> }.into_any(),
            })}
            <Transition fallback=|| view! { <Loading /> }>
                {move || Suspend::new(async move {
                    match users.await {
                        Ok(list) => view! {
                            <ul class="user-list" role="list">
                                {list.into_iter().map(|user| view! {
                                    <UserRow user disable reset revoke />
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(error) => view! { <ErrorMessage error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// Every unit a role can be held on, grouped the way the township is organised.
#[component]
fn UnitSelect(structure: OrgStructure) -> impl IntoView {
    let i18n = use_i18n();
    let township = structure.township;
    view! {
        <select id="new-unit" name="unit_id" required>
            <option value="">{t!(i18n, users.choose_unit)}</option>
            <option value=township.id.to_string()>{township.name.clone()}</option>
            <optgroup label=move || t_string!(i18n, office.departments_title)>
                {structure.departments.into_iter().map(|d| view! {
                    <option value=d.id.to_string()>{d.name}</option>
                }).collect_view()}
            </optgroup>
            {structure.villages.into_iter().map(|v| {
                let village_name = v.village.name.clone();
                view! {
                    <optgroup label=village_name.clone()>
                        <option value=v.village.id.to_string()>{village_name.clone()}</option>
                        {v.grids.into_iter().map(|g| view! {
                            <option value=g.id.to_string()>{format!("{} · {}", village_name, g.name)}</option>
                        }).collect_view()}
                    </optgroup>
                }
            }).collect_view()}
        </select>
    }
}

#[component]
fn UserRow(
    user: UserSummary,
    disable: ServerAction<SetUserDisabled>,
    reset: ServerAction<ResetUserPassword>,
    revoke: ServerAction<RevokeUserSessions>,
) -> impl IntoView {
    let i18n = use_i18n();
    let id = user.id.to_string();
    let (id_disable, id_revoke, id_reset) = (id.clone(), id.clone(), id);
    let reset_id = format!("reset-{}", user.id);
    let name = user.display_name.clone();
    let sessions = user.sessions;
    let disabled = user.disabled;
    view! {
        <li class="user-row" data-username=user.username.clone()>
            <div class="user-head">
                <strong>{user.display_name.clone()}</strong>
                <code>{user.username.clone()}</code>
                <span class=if disabled { "badge badge-off" } else { "badge" }>
                    {move || if disabled { t_string!(i18n, users.disabled) } else { t_string!(i18n, users.active) }}
                </span>
                <span class="hint">{move || td_string!(i18n.get_locale(), users.sessions, n = sessions)}</span>
            </div>
            <ul class="plain-list">
                {user.grants.into_iter().map(|g| view! {
                    <li>{move || td_string!(i18n.get_locale(), users.role_on, role = role_label(i18n, g.role), unit = g.unit_name.clone())}</li>
                }).collect_view()}
            </ul>
            <div class="row-actions">
                <ActionForm action=disable>
                    <input type="hidden" name="user_id" value=id_disable />
                    <input type="hidden" name="disabled" value=if disabled { "false" } else { "true" } />
                    <button type="submit" class="button secondary">
                        {move || if disabled { t_string!(i18n, users.enable) } else { t_string!(i18n, users.disable) }}
                    </button>
                </ActionForm>
                <ActionForm action=revoke>
                    <input type="hidden" name="user_id" value=id_revoke />
                    <button type="submit" class="button secondary">{t!(i18n, users.revoke)}</button>
                </ActionForm>
                <ActionForm action=reset attr:class="inline-form">
                    <input type="hidden" name="user_id" value=id_reset />
                    <label for=reset_id.clone() class="visually-hidden">
                        {move || td_string!(i18n.get_locale(), users.reset_label, name = name.clone())}
                    </label>
                    <input id=reset_id type="text" name="password" required minlength="12" autocomplete="off" />
                    <button type="submit" class="button secondary">{t!(i18n, users.reset)}</button>
                </ActionForm>
            </div>
        </li>
    }
}
