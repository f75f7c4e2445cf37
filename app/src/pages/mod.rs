//! One module per route.

pub mod account;
pub mod audit;
pub mod case;
pub mod field;
pub mod field_outbox;
pub mod field_report;
pub mod field_weekly;
pub mod guide;
pub mod home;
pub mod intake;
pub mod login;
pub mod not_found;
pub mod office;
pub mod office_info;
pub mod offline;
pub mod petition;
pub mod print;
pub mod registry;
pub mod report;
pub mod reports;
pub mod roster;
pub mod track;
pub mod users;
pub mod weekly;

/// The record id in a route's `:id`, or 0 (which no record has) when it is not a number.
pub fn id_param() -> leptos::prelude::Memo<i64> {
    use leptos::prelude::*;
    let params = leptos_router::hooks::use_params_map();
    Memo::new(move |_| {
        params.with(|p| {
            p.get("id")
                .and_then(|id| id.parse::<i64>().ok())
                .unwrap_or_default()
        })
    })
}
