//! The server's integration tests, as one test binary: each test binary links the whole
//! dependency tree (the app, leptos, axum, sqlx, both database drivers), so one binary
//! instead of one per file saves that link every build. Each module is one subject;
//! `common` holds what they share.

mod common;

mod auth;
mod fault;
mod field_pages;
mod hostile;
mod http;
mod inbox;
mod petitions;
mod sync;
