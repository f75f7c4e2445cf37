use leptos::prelude::*;

use crate::api::{CreateOrgUnit, get_org_structure, import_roster};
use crate::components::status::ErrorMessage;
use crate::components::title::PageTitle;
use crate::error::AppError;
use crate::i18n::*;

/// `/office/roster`: an admin imports villages, grids, departments and people from an
/// Excel or CSV roster. Nothing is written unless the whole file is right; otherwise
/// every problem is listed by sheet, row and column.
#[component]
pub fn RosterPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <PageTitle text=move || t_string!(i18n, roster.title) />
        <RosterBody />
    }
}

/// An island: the file is checked and imported in place, and units are added in place.
#[island(lazy)]
fn RosterBody() -> impl IntoView {
    let i18n = crate::components::island::island_i18n();
    let upload = Action::new_local(|data: &web_sys::FormData| import_roster(data.clone().into()));
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        use wasm_bindgen::JsCast;
        let form = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlFormElement>().ok());
        if let Some(data) = form.and_then(|f| web_sys::FormData::new_with_form(&f).ok()) {
            upload.dispatch_local(data);
        }
    };
    view! {
        <h1>{t!(i18n, roster.title)}</h1>
        <p>{t!(i18n, roster.intro)}</p>
        <ul class="hint-list">
            <li>{t!(i18n, roster.help_units)}</li>
            <li>{t!(i18n, roster.help_users)}</li>
        </ul>
        <AddUnit />
        <form class="form narrow" id="roster-form" on:submit=on_submit>
            <label for="roster-file">{t!(i18n, roster.file)}</label>
            <input
                id="roster-file"
                name="file"
                type="file"
                required
                accept=".xlsx,.csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,text/csv"
            />
            <button type="submit" class="button primary" disabled=move || upload.pending().get()>
                {t!(i18n, roster.submit)}
            </button>
        </form>
        <div aria-live="polite">
            {move || upload.pending().get().then(|| view! {
                <p class="loading" role="status">{t!(i18n, roster.importing)}</p>
            })}
            {move || match upload.value().get() {
                Some(Ok(done)) => Some(view! {
                    <p class="notice-ok" role="status">
                        {move || td_string!(i18n.get_locale(), roster.done, units = done.units, users = done.users)}
                    </p>
                }.into_any()),
                Some(Err(AppError::Roster(problems))) => Some(view! {
                    <ErrorMessage error=AppError::Roster(problems.clone()) />
                    <div class="table-scroll">
                        <table class="ledger" id="roster-problems">
                            <thead>
                                <tr>
                                    <th scope="col">{t!(i18n, roster.sheet)}</th>
                                    <th scope="col">{t!(i18n, roster.row)}</th>
                                    <th scope="col">{t!(i18n, roster.column)}</th>
                                    <th scope="col">{t!(i18n, roster.problem)}</th>
                                    <th scope="col">{t!(i18n, roster.value)}</th>
                                </tr>
                            </thead>
                            <tbody>
                                {problems.into_iter().map(|p| {
                                    let column = p.column.clone();
                                    let problem = p.problem;
                                    view! {
                                        <tr>
                                            <td>{p.sheet}</td>
                                            <td>{p.row}</td>
                                            <td>{p.column}</td>
                                            <td>{move || crate::components::status::field_error_text(
                                                i18n,
                                                &domain::FieldError::new(column.clone(), problem),
                                            )}</td>
                                            <td>{p.value}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()),
                Some(Err(error)) => Some(view! { <ErrorMessage error /> }.into_any()),
                None => None,
            }}
        </div>
    }
}

/// One unit at a time: kind, parent (the township or one of its villages), name, code.
#[component]
fn AddUnit() -> impl IntoView {
    let i18n = use_i18n();
    let add = ServerAction::<CreateOrgUnit>::new();
    let structure = Resource::new(move || add.version().get(), |_| get_org_structure());
    view! {
        <section class="narrow" aria-labelledby="add-unit-title">
            <h2 id="add-unit-title">{t!(i18n, roster.add_title)}</h2>
            <ActionForm action=add attr:class="form" attr:id="add-unit-form">
                <label for="unit-kind">{t!(i18n, roster.kind)}</label>
                <select id="unit-kind" name="kind" required>
                    <option value="">{t!(i18n, roster.choose)}</option>
                    <option value="village">{t!(i18n, roster.kind_village)}</option>
                    <option value="grid">{t!(i18n, roster.kind_grid)}</option>
                    <option value="department">{t!(i18n, roster.kind_department)}</option>
                </select>
                <label for="unit-parent">{t!(i18n, roster.parent)}</label>
                <select id="unit-parent" name="parent_id" required>
                    <Transition fallback=|| ()>
                        {move || Suspend::new(async move {
                            structure.await.ok().flatten().map(|s| view! {
                                <option value=s.township.id.to_string()>{s.township.name}</option>
                                {s.villages.into_iter().map(|v| view! {
                                    <option value=v.village.id.to_string()>{v.village.name}</option>
                                }).collect_view()}
                            })
                        })}
                    </Transition>
                </select>
                <label for="unit-name">{t!(i18n, roster.name)}</label>
                <input id="unit-name" name="name" type="text" required maxlength="64" />
                <label for="unit-code">{t!(i18n, roster.code)}</label>
                <input id="unit-code" name="code" type="text" maxlength="32" />
                {move || match add.value().get() {
                    Some(Ok(_)) => Some(view! { <p class="notice-ok" role="status">{t!(i18n, roster.added)}</p> }.into_any()),
                    Some(Err(error)) => Some(view! { <ErrorMessage error /> }.into_any()),
                    None => None,
                }}
                <button type="submit" class="button primary">{t!(i18n, roster.add)}</button>
            </ActionForm>
        </section>
    }
}
