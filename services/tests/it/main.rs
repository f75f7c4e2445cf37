//! The services' integration tests, as one test binary: each test binary links the whole
//! dependency tree (storage, sqlx and both database drivers, the roster readers), so one
//! binary instead of one per file saves that link every build. Each module is one
//! subject; `common` holds what they share.

mod common;

mod access;
mod audited;
mod desk;
mod documents;
mod field;
mod petitions;
mod properties;
mod roster;
