use domain::audit::{AuditAction, AuditFilter, AuditOutcome, format_china_time, parse_date};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::search_audit;
use crate::components::status::{ErrorMessage, Loading};
use crate::components::title::PageTitle;
use crate::i18n::*;

/// The filter as it travels in the page's URL, so a search can be bookmarked, shared
/// and exported, and works as a plain GET form.
fn filter_from_query(get: impl Fn(&str) -> Option<String>) -> AuditFilter {
    let text = |k: &str| get(k).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    let date = |k: &str| text(k).and_then(|v| parse_date(&v));
    AuditFilter {
        username: text("user"),
        action: text("action").and_then(|a| AuditAction::parse(&a)),
        record: text("record"),
        from: date("from"),
        to: date("to"),
    }
}

fn query_string(filter: &AuditFilter) -> String {
    let mut pairs = Vec::new();
    let mut push = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            pairs.push(format!("{k}={}", crate::components::language::encode_path(&v)));
        }
    };
    push("user", filter.username.clone());
    push("action", filter.action.map(|a| a.as_str().to_owned()));
    push("record", filter.record.clone());
    push("from", filter.from.map(|d| d.to_string()));
    push("to", filter.to.map(|d| d.to_string()));
    pairs.join("&")
}

pub fn action_label(i18n: leptos_i18n::I18nContext<Locale>, action: &str) -> String {
    let Some(action) = AuditAction::parse(action) else {
        return action.to_owned();
    };
    match action {
        AuditAction::Login => t_string!(i18n, audit_action.login),
        AuditAction::Logout => t_string!(i18n, audit_action.logout),
        AuditAction::ChangePassword => t_string!(i18n, audit_action.change_password),
        AuditAction::CreateUser => t_string!(i18n, audit_action.create_user),
        AuditAction::DisableUser => t_string!(i18n, audit_action.disable_user),
        AuditAction::EnableUser => t_string!(i18n, audit_action.enable_user),
        AuditAction::ResetPassword => t_string!(i18n, audit_action.reset_password),
        AuditAction::RevokeSessions => t_string!(i18n, audit_action.revoke_sessions),
        AuditAction::CreateOrgUnit => t_string!(i18n, audit_action.create_org_unit),
        AuditAction::ImportRoster => t_string!(i18n, audit_action.import_roster),
        AuditAction::ExportAuditLog => t_string!(i18n, audit_action.export_audit_log),
        AuditAction::ReadAuditLog => t_string!(i18n, audit_action.read_audit_log),
        AuditAction::Denied => t_string!(i18n, audit_action.denied),
        AuditAction::ReadIdentity => t_string!(i18n, audit_action.read_identity),
        AuditAction::FilePetition => t_string!(i18n, audit_action.file_petition),
        AuditAction::PetitionStep => t_string!(i18n, audit_action.petition_step),
        AuditAction::TrackPetition => t_string!(i18n, audit_action.track_petition),
        AuditAction::ReadAttachment => t_string!(i18n, audit_action.read_attachment),
        AuditAction::ExportRegistry => t_string!(i18n, audit_action.export_registry),
        AuditAction::EditOfficeInfo => t_string!(i18n, audit_action.edit_office_info),
        AuditAction::SyncPush => t_string!(i18n, audit_action.sync_push),
        AuditAction::UrgentReport => t_string!(i18n, audit_action.urgent_report),
        AuditAction::FieldReportStep => t_string!(i18n, audit_action.field_report_step),
        AuditAction::UploadPhoto => t_string!(i18n, audit_action.upload_photo),
        AuditAction::EditReportKinds => t_string!(i18n, audit_action.edit_report_kinds),
        AuditAction::ReadFieldReport => t_string!(i18n, audit_action.read_field_report),
        AuditAction::ReadFieldPhoto => t_string!(i18n, audit_action.read_field_photo),
    }
    .to_owned()
}

fn outcome_label(i18n: leptos_i18n::I18nContext<Locale>, outcome: AuditOutcome) -> &'static str {
    match outcome {
        AuditOutcome::Ok => t_string!(i18n, outcome.ok),
        AuditOutcome::Denied => t_string!(i18n, outcome.denied),
        AuditOutcome::Failed => t_string!(i18n, outcome.failed),
    }
}

/// `/office/audit`: search, page through and export the audit log (admins only; the
/// server answers "not found" to anyone else).
#[component]
pub fn AuditPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let filter = Memo::new(move |_| query.with(|q| filter_from_query(|k| q.get(k))));
    let page = Memo::new(move |_| {
        query
            .with(|q| q.get("page"))
            .and_then(|p| p.parse::<i64>().ok())
            .unwrap_or(1)
            .max(1)
    });
    let results = Resource::new(move || (filter.get(), page.get()), |(f, p)| search_audit(f, p));
    let value = |f: fn(&AuditFilter) -> Option<String>| move || f(&filter.get()).unwrap_or_default();
    view! {
        <PageTitle text=move || t_string!(i18n, audit.title) />
        <h1>{t!(i18n, audit.title)}</h1>
        <p>{t!(i18n, audit.intro)}</p>
        <form method="get" action="/office/audit" class="filters" role="search">
            <label>
                {t!(i18n, audit.user)}
                <input name="user" type="text" autocapitalize="none" value=value(|f| f.username.clone()) />
            </label>
            <label>
                {t!(i18n, audit.action)}
                <select name="action">
                    <option value="">{t!(i18n, audit.any_action)}</option>
                    {AuditAction::ALL.into_iter().map(|a| view! {
                        <option value=a.as_str() selected=move || filter.get().action == Some(a)>
                            {move || action_label(i18n, a.as_str())}
                        </option>
                    }).collect_view()}
                </select>
            </label>
            <label>
                {t!(i18n, audit.record)}
                <input name="record" type="text" placeholder="user_account:12" value=value(|f| f.record.clone()) />
            </label>
            <label>
                {t!(i18n, audit.from)}
                <input name="from" type="date" value=value(|f| f.from.map(|d| d.to_string())) />
            </label>
            <label>
                {t!(i18n, audit.to)}
                <input name="to" type="date" value=value(|f| f.to.map(|d| d.to_string())) />
            </label>
            <button type="submit" class="button primary">{t!(i18n, audit.search)}</button>
        </form>
        <p class="row-actions">
            <a class="button secondary" rel="external" href=move || format!("/office/audit.csv?{}", query_string(&filter.get()))>
                {t!(i18n, audit.export_csv)}
            </a>
            <a class="button secondary" rel="external" href=move || format!("/office/audit.xlsx?{}", query_string(&filter.get()))>
                {t!(i18n, audit.export_xlsx)}
            </a>
        </p>
        <Transition fallback=|| view! { <Loading /> }>
            {move || Suspend::new(async move {
                match results.await {
                    Ok(r) => {
                        let pages = ((r.total + r.page_size - 1) / r.page_size).max(1);
                        let base = query_string(&filter.get_untracked());
                        let link = move |p: i64| format!("/office/audit?{base}&page={p}");
                        let (total, current) = (r.total, r.page);
                        view! {
                            <p role="status">{move || td_string!(i18n.get_locale(), audit.total, n = total)}</p>
                            {if r.entries.is_empty() {
                                view! { <p>{t!(i18n, audit.none)}</p> }.into_any()
                            } else {
                                view! {
                                    <div class="table-scroll">
                                        <table class="ledger audit-table">
                                            <thead>
                                                <tr>
                                                    <th scope="col">{t!(i18n, audit.at)}</th>
                                                    <th scope="col">{t!(i18n, audit.user)}</th>
                                                    <th scope="col">{t!(i18n, audit.action)}</th>
                                                    <th scope="col">{t!(i18n, audit.record)}</th>
                                                    <th scope="col">{t!(i18n, audit.outcome)}</th>
                                                    <th scope="col">{t!(i18n, audit.address)}</th>
                                                    <th scope="col">{t!(i18n, audit.detail)}</th>
                                                </tr>
                                            </thead>
                                            <tbody>
                                                {r.entries.into_iter().map(|e| {
                                                    let record = match (&e.record_kind, &e.record_id) {
                                                        (Some(k), Some(id)) => format!("{k}:{id}"),
                                                        (Some(k), None) => k.clone(),
                                                        (None, Some(id)) => id.clone(),
                                                        (None, None) => String::new(),
                                                    };
                                                    let action = e.action.clone();
                                                    view! {
                                                        <tr class=format!("outcome-{}", e.outcome.as_str())>
                                                            <td class="nowrap">{format_china_time(e.at)}</td>
                                                            <td>{e.username.unwrap_or_default()}</td>
                                                            <td>{move || action_label(i18n, &action)}</td>
                                                            <td>{record}</td>
                                                            <td>{move || outcome_label(i18n, e.outcome)}</td>
                                                            <td>{e.address.unwrap_or_default()}</td>
                                                            <td>{e.detail.unwrap_or_default()}</td>
                                                        </tr>
                                                    }
                                                }).collect_view()}
                                            </tbody>
                                        </table>
                                    </div>
                                }.into_any()
                            }}
                            <nav class="pager" aria-label=move || td_string!(i18n.get_locale(), audit.page, page = current, pages = pages)>
                                {(current > 1).then(|| view! { <a class="button" href=link(current - 1) rel="prev">{t!(i18n, audit.prev)}</a> })}
                                <span>{move || td_string!(i18n.get_locale(), audit.page, page = current, pages = pages)}</span>
                                {(current < pages).then(|| view! { <a class="button" href=link(current + 1) rel="next">{t!(i18n, audit.next)}</a> })}
                            </nav>
                        }.into_any()
                    }
                    Err(error) => view! { <ErrorMessage error /> }.into_any(),
                }
            })}
        </Transition>
    }
}
