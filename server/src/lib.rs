//! The `minqing` server: the HTTP edge of the app. It wires the Leptos app, its server
//! functions and a few plain routes (health, language, service worker) onto axum, with
//! the database in every request's context. Handlers here stay thin: rules live in
//! `domain`, queries in `storage`, pages in `app`.

pub mod error;
pub mod export;
pub mod extract;
pub mod forms;
pub mod pwa;
pub mod routes;
pub mod security;
pub mod state;
pub mod sync_api;

pub use error::ServerError;
pub use routes::router;
pub use state::AppState;
