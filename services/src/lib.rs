//! Minqing's use cases on the server. Server functions and HTTP handlers stay thin: they
//! build a [`Caller`] from the request and call one function here, which asks the access
//! policy, does the work in storage, and writes the audit log. Nothing here knows HTTP.

pub mod audit;
pub mod auth;
mod caller;
pub mod challenge;
pub mod demo;
pub mod desk;
pub mod document;
mod error;
pub mod field;
pub mod org;
pub mod petition;
pub mod roster;
pub mod users;

pub use caller::Caller;
pub use error::ServiceError;

pub type Result<T, E = ServiceError> = std::result::Result<T, E>;
