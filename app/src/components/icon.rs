//! Line icons drawn inline (one 24 × 24 path each): nothing to fetch, and they follow
//! the text's colour. Always beside a label, or inside a control whose name says what
//! it does, so they are hidden from screen readers.

use leptos::prelude::*;

pub const REPORT: &str = "M12 3 2 20h20L12 3zM12 10v4M12 17v.5";
pub const WEEKLY: &str = "M4 5h16v15H4zM4 10h16M8 3v4M16 3v4M8 14h3";
pub const OUTBOX: &str = "M4 13v7h16v-7M12 4v11M7 9l5-5 5 5";
pub const VILLAGES: &str = "M3 20h18M5 20V10l4-3 4 3v10M13 20v-7l3-2 3 2v7M9 20v-4";
/// A person: the account menu.
pub const PERSON: &str = "M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM4 21c0-4 3.6-6 8-6s8 2 8 6";
/// Three lines: the menu of someone not logged in.
pub const MENU: &str = "M4 7h16M4 12h16M4 17h16";
/// A clipboard: petitions waiting to be registered.
pub const REGISTER: &str = "M9 4h6v3H9zM7 5H5v16h14V5h-2M8 12h8M8 16h5";
/// A tray: the field reports' inbox.
pub const INBOX: &str = "M3 13h5l2 3h4l2-3h5M5 5h14l2 8v7H3v-7z";
/// A pen: registering a letter or a visit.
pub const WRITE: &str = "M4 20h4L20 8l-4-4L4 16zM14 6l4 4";
/// Two people: the roster.
pub const PEOPLE: &str = "M9 11a3 3 0 1 0 0-6 3 3 0 0 0 0 6zM3 20c0-3 2.7-5 6-5s6 2 6 5M16 5a3 3 0 0 1 0 6M21 20c0-2.5-1.5-4.3-4-4.8";
/// A list: the audit log.
pub const LIST: &str = "M8 6h12M8 12h12M8 18h12M4 6h.5M4 12h.5M4 18h.5";
/// An "i" in a circle: the office's published information.
pub const INFO: &str = "M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18zM12 11v6M12 7.5v.5";
/// A tree of boxes: the organisation chart.
pub const ORG: &str = "M9 3h6v5H9zM3 16h6v5H3zM15 16h6v5h-6zM12 8v4M6 16v-4h12v4";

#[component]
pub fn Icon(path: &'static str, #[prop(default = "tile-icon")] class: &'static str) -> impl IntoView {
    view! {
        <svg class=class viewBox="0 0 24 24" aria-hidden="true" focusable="false">
            <path d=path />
        </svg>
    }
}
