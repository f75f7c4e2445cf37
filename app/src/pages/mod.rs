//! The pages, grouped by who uses them: `public` (citizens, and the shell's pages such
//! as login and not found), `field` (`/field/…`, village and grid officers), `office`
//! (`/office/…`, the township petition office) and `account` (the logged-in person's own
//! account). One module per route within an area.

pub mod account;
pub mod field;
pub mod office;
pub mod public;

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
