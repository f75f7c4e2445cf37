use std::path::Path;
use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use storage::Database;

use crate::pwa::ServiceWorker;

/// What every handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: Database,
    pub leptos_options: LeptosOptions,
    pub service_worker: Arc<ServiceWorker>,
    pub rate_limits: Arc<crate::security::RateLimits>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

impl AppState {
    /// Builds the state for a site built by cargo-leptos into `site_root`.
    pub fn new(db: Database, site_root: &Path, site_addr: std::net::SocketAddr) -> Self {
        let leptos_options = leptos_options(site_root, site_addr);
        let service_worker = Arc::new(ServiceWorker::for_site(site_root, &leptos_options.site_pkg_dir));
        Self {
            db,
            leptos_options,
            service_worker,
            rate_limits: Arc::default(),
        }
    }
}

/// Leptos' options, set here rather than read from cargo-leptos' build-time environment,
/// so the same binary runs under `cargo leptos`, under `./x run` and from a deploy.
fn leptos_options(site_root: &Path, site_addr: std::net::SocketAddr) -> LeptosOptions {
    // cargo-leptos writes the hashes of the built files next to the binary; Leptos reads
    // that file to link `minqing.<hash>.wasm`. Without it (tests, `cargo run`), plain names.
    let hash_files = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join("hash.txt")))
        .is_some_and(|file| file.exists());
    // `cargo leptos watch` sets these so the page reloads itself after a rebuild.
    let watching = std::env::var("LEPTOS_WATCH").is_ok_and(|v| v == "true");
    let reload_port = std::env::var("LEPTOS_RELOAD_PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3001);
    LeptosOptions::builder()
        .output_name("minqing")
        .site_root(site_root.to_string_lossy().into_owned())
        .site_pkg_dir("pkg")
        .site_addr(site_addr)
        .hash_files(hash_files)
        .env(if watching {
            leptos::config::Env::DEV
        } else {
            leptos::config::Env::PROD
        })
        .reload_port(reload_port)
        .build()
}
