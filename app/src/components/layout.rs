//! The frame every page sits in: the top bar, the area's own navigation, the update
//! prompt, and an error boundary around the page.

use leptos::prelude::*;
use leptos_i18n::I18nContext;
use leptos_router::hooks::use_location;

use crate::api::field_urgent_waiting;
use crate::components::auth::{UserMenu, use_auth};
use crate::components::connection::ConnectionStatus;
use crate::components::status::ErrorPanel;
use crate::i18n::*;
use crate::outbox::{Phase, use_outbox};
use domain::auth::{CurrentUser, Role};

/// The three areas of the app, each with its own navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    /// Citizens: no account.
    Public,
    /// Village information officers and grid workers, on phones.
    Field,
    /// Township petition office staff, on desktops.
    Office,
}

impl Area {
    fn class(self) -> &'static str {
        match self {
            Area::Public => "area-public",
            Area::Field => "area-field",
            Area::Office => "area-office",
        }
    }
}

#[component]
pub fn AreaFrame(area: Area, children: Children) -> impl IntoView {
    let i18n = use_i18n();
    let area_name = move || match area {
        Area::Public => t_string!(i18n, area.public),
        Area::Field => t_string!(i18n, area.field),
        Area::Office => t_string!(i18n, area.office),
    };
    view! {
        <div class=format!("frame {}", area.class())>
            <a class="skip-link" href="#main">
                {t!(i18n, skip_to_content)}
            </a>
            <header class="topbar">
                <a class="brand" href="/">
                    <img src="/icons/icon-192.png" alt="" width="32" height="32" />
                    <span>{t!(i18n, app_name)}</span>
                </a>
                <span class="area-name">{area_name}</span>
                <span class="topbar-tools">
                    <ConnectionStatus />
                    <UserMenu />
                </span>
            </header>
            <nav class="area-nav" aria-label=move || td_string!(i18n.get_locale(), area.nav_label, area = area_name())>
                <AreaLinks area />
            </nav>
            <div id="update-banner" class="update-banner" role="alert" hidden>
                <span>{t!(i18n, update.available)}</span>
                <button type="button" id="update-reload" class="button">
                    {t!(i18n, update.reload)}
                </button>
            </div>
            <main id="main" tabindex="-1">
                <ErrorBoundary fallback=|errors| view! { <ErrorPanel errors /> }>{children()}</ErrorBoundary>
            </main>
        </div>
    }
}

/// One entry of an area's navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NavItem {
    Home,
    Guide,
    Petition,
    Track,
    FieldHome,
    FieldReport,
    FieldWeekly,
    FieldOutbox,
    FieldIntake,
    Registry,
    Intake,
    Reports,
    Weekly,
    OfficeHome,
    Users,
    Roster,
    Audit,
    OfficeInfo,
    Account,
}

impl NavItem {
    fn href(self) -> &'static str {
        match self {
            NavItem::Home => "/",
            NavItem::Guide => "/guide",
            NavItem::Petition => "/petition",
            NavItem::Track => "/track",
            NavItem::FieldHome => "/field",
            NavItem::FieldReport => "/field/report",
            NavItem::FieldWeekly => "/field/weekly",
            NavItem::FieldOutbox => "/field/outbox",
            NavItem::FieldIntake => "/field/intake",
            NavItem::Registry => "/office/petitions",
            NavItem::Intake => "/office/intake",
            NavItem::Reports => "/office/reports",
            NavItem::Weekly => "/office/weekly",
            NavItem::OfficeHome => "/office",
            NavItem::Users => "/office/users",
            NavItem::Roster => "/office/roster",
            NavItem::Audit => "/office/audit",
            NavItem::OfficeInfo => "/office/info",
            NavItem::Account => "/account",
        }
    }

    fn label(self, i18n: I18nContext<Locale>) -> &'static str {
        match self {
            NavItem::Home => t_string!(i18n, nav.home),
            NavItem::Guide => t_string!(i18n, nav.guide),
            NavItem::Petition => t_string!(i18n, nav.petition),
            NavItem::Track => t_string!(i18n, nav.track),
            NavItem::FieldHome => t_string!(i18n, nav.field_home),
            NavItem::FieldReport => t_string!(i18n, nav.field_report),
            NavItem::FieldWeekly => t_string!(i18n, nav.field_weekly),
            NavItem::FieldOutbox => t_string!(i18n, nav.field_outbox),
            NavItem::FieldIntake => t_string!(i18n, nav.petition),
            NavItem::Registry => t_string!(i18n, nav.registry),
            NavItem::Intake => t_string!(i18n, nav.intake),
            NavItem::Reports => t_string!(i18n, inbox.nav),
            NavItem::Weekly => t_string!(i18n, weekly.nav),
            NavItem::OfficeHome => t_string!(i18n, nav.office_home),
            NavItem::Users => t_string!(i18n, nav.users),
            NavItem::Roster => t_string!(i18n, nav.roster),
            NavItem::Audit => t_string!(i18n, nav.audit),
            NavItem::OfficeInfo => t_string!(i18n, nav.office_info),
            NavItem::Account => t_string!(i18n, nav.account),
        }
    }

    /// Pages are listed only for the roles that use them (the server refuses everyone
    /// else anyway): admin pages for admins, the field reports for the petition office.
    fn shown_to(self, user: Option<&CurrentUser>) -> bool {
        let has = |role| user.is_some_and(|u| u.has_role(role));
        match self {
            NavItem::Users | NavItem::Roster | NavItem::Audit | NavItem::OfficeInfo => has(Role::Admin),
            NavItem::Reports => has(Role::Clerk) || has(Role::CaseLeader),
            NavItem::Weekly => has(Role::Clerk) || has(Role::CaseLeader) || has(Role::Admin),
            // Report pages only for those who report from a village or grid.
            NavItem::FieldReport | NavItem::FieldOutbox => user.is_some_and(|u| u.files_field_reports()),
            NavItem::FieldWeekly => user.is_some_and(|u| u.files_weekly_reports()),
            _ => true,
        }
    }
}

#[component]
fn AreaLinks(area: Area) -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let items: &[NavItem] = match area {
        Area::Public => &[NavItem::Home, NavItem::Petition, NavItem::Track, NavItem::Guide],
        Area::Field => &[
            NavItem::FieldHome,
            NavItem::FieldReport,
            NavItem::FieldWeekly,
            NavItem::FieldOutbox,
            NavItem::FieldIntake,
            NavItem::Account,
        ],
        Area::Office => &[
            NavItem::OfficeHome,
            NavItem::Registry,
            NavItem::Intake,
            NavItem::Reports,
            NavItem::Weekly,
            NavItem::Users,
            NavItem::Roster,
            NavItem::Audit,
            NavItem::OfficeInfo,
            NavItem::Account,
        ],
    };
    let location = use_location();
    let link = move |item: NavItem| {
        let href = item.href();
        let current = move || (location.pathname.get() == href).then_some("page");
        view! {
            <a href=href aria-current=current>
                {move || item.label(i18n)}
                {(item == NavItem::FieldOutbox).then(|| view! { <OutboxBadge /> })}
                {(item == NavItem::Reports).then(|| view! { <UrgentBadge /> })}
            </a>
        }
    };
    move || {
        auth.me.with(|u| {
            items
                .iter()
                .filter(|i| i.shown_to(u.as_ref()))
                .map(|i| link(*i))
                .collect_view()
        })
    }
}

/// How many urgent field reports wait for the township, next to the inbox's link.
#[component]
fn UrgentBadge() -> impl IntoView {
    let i18n = use_i18n();
    let waiting = Resource::new(|| (), |_| field_urgent_waiting());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                waiting.await.ok().filter(|n| *n > 0).map(|n| {
                    let label = move || td_string!(i18n.get_locale(), inbox.urgent_waiting, n = n);
                    view! {
                        " "<span class="badge urgent" id="urgent-waiting" title=label aria-label=label>{n}</span>
                    }
                })
            })}
        </Suspense>
    }
}

/// The outbox count beside the field navigation's "outbox" link.
#[island(lazy)]
fn OutboxBadge() -> impl IntoView {
    let outbox = use_outbox();
    move || {
        outbox.and_then(|o| {
            let n = o.unsent();
            let syncing = matches!(o.phase.get(), Phase::Syncing { .. });
            (n > 0).then(|| {
                view! {
                    <span class="badge" class:syncing=syncing data-testid="outbox-badge">{n.to_string()}</span>
                }
            })
        })
    }
}
