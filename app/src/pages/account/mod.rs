//! The logged-in person's own account (`/account`), whatever their area.

pub mod home;
