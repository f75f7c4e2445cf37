//! The office area (`/office/…`): the township petition office's pages. Petitions (the
//! registry, one petition, its printed documents, intake, which petition agents also use
//! at `/field/intake`), the inbox of field reports and the weekly overview, and the
//! administration of accounts, the roster, the audit log and the office's published
//! information.

pub mod audit;
pub mod field_report;
pub mod home;
pub mod inbox;
pub mod info;
pub mod intake;
pub mod org;
pub mod petition;
pub mod print;
pub mod registry;
pub mod roster;
pub mod users;
pub mod weekly_overview;
