//! `minqing-bundle`: the last step of the release build (`./x`'s `build_release`).
//!
//! `cargo leptos build --split` leaves each lazy island's code (`#[island(lazy)]`,
//! `#[lazy]`) spread over many small wasm modules, one per combination of islands that
//! shares it. This step merges them into one or two files per page ([`plan`]), rewrites
//! the split loader and manifest to name those files, and precompresses what it wrote.
//! Pages then fetch a few files instead of hundreds, and brotli sees the code whole.

pub mod loader;
pub mod merge;
pub mod plan;
pub mod site;

#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
    #[error("the split manifest: {0}")]
    Manifest(String),
    #[error("the split loader: {0}")]
    Loader(String),
    #[error("wasm: {0}")]
    Wasm(String),
    #[error("`{0}` is named in bundle/src/plan.rs's LAYERS but the build has no such lazy function")]
    UnknownFunction(String),
    #[error("`{0}` is in two layers of bundle/src/plan.rs's LAYERS")]
    TwoLayers(String),
}
