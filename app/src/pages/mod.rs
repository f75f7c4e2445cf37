//! One module per route.

pub mod account;
pub mod audit;
pub mod field;
pub mod guide;
pub mod home;
pub mod login;
pub mod not_found;
pub mod office;
pub mod offline;
pub mod roster;
pub mod users;
