//! The storage suite, as one test binary: each test binary links the whole dependency
//! tree (sqlx with both database drivers), so one binary instead of one per file saves
//! that link every build. Every case runs against SQLite and PostgreSQL; each module is
//! one subject, and `common` holds what they share.

mod common;

mod accounts;
mod database;
mod documents;
mod field;
mod petitions;
mod schema_drift;
