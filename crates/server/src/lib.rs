//! The zoufang sync server: devices enrol with a one-time code, push their change logs and pull what
//! their scope may see. Storage sits behind the `Storage` trait: SQLite is the embedded default (one county),
//! PostgreSQL the scale backend (a province, several replicas).

mod access;
pub mod api;
mod audit;
mod batch;
pub mod blobs;
pub mod check;
pub mod error;
mod page;
pub mod pg;
pub mod reports;
pub mod sqlite;
pub mod storage;
pub mod tokens;

pub use api::{router, router_with, ApiOptions};
pub use blobs::{BlobStore, S3Config};
pub use error::ApiError;
pub use pg::{PgOpenError, PgStorage};
pub use sqlite::SqliteStorage;
pub use storage::{
    AuditReport, DeviceAuth, DeviceInfo, FileRights, RevokeMode, Stats, Storage, UserInfo, VillageInfo, TOKEN_DAYS,
};

use std::net::SocketAddr;
use std::sync::Arc;

/// Serves the API on an already-bound listener until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    storage: Arc<dyn Storage>,
    blobs: BlobStore,
    options: ApiOptions,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router_with(storage, blobs, options).into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
}
