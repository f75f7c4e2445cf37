//! Server functions: thin adapters from a browser call to the storage layer. Each one has
//! a fixed endpoint so its URL does not change between builds (an old tab keeps working
//! across a deploy), and answers with [`AppError`] on failure.

use domain::org::{OrgStructure, TownshipOverview};
use leptos::prelude::*;

use crate::error::AppError;

#[cfg(feature = "ssr")]
fn database() -> Result<storage::Database, AppError> {
    use_context::<storage::Database>().ok_or_else(|| {
        tracing::error!("no Database in the server function context");
        AppError::Internal
    })
}

/// The township's name and the size of its tree, for the home page.
#[server(prefix = "/api", endpoint = "township_overview")]
pub async fn get_township_overview() -> Result<Option<TownshipOverview>, AppError> {
    Ok(database()?.township_overview().await?)
}

/// The township's villages with their grids, and its departments.
#[server(prefix = "/api", endpoint = "org_structure")]
pub async fn get_org_structure() -> Result<Option<OrgStructure>, AppError> {
    Ok(database()?.org_structure().await?)
}
