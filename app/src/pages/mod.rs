//! One module per route.

pub mod field;
pub mod guide;
pub mod home;
pub mod not_found;
pub mod office;
pub mod offline;
