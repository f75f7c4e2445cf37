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
pub mod roster;
pub mod track;
pub mod users;
