//! The zoufang sync server: devices enrol with a one-time code, push their change logs and pull what
//! their scope may see. `Storage` holds the flows over a backend's rows: SQLite is the embedded default
//! (one county), PostgreSQL the scale backend (a province, several replicas).

mod access;
pub mod api;
mod audit;
mod batch;
pub mod blobs;
pub mod check;
pub mod error;
pub mod guard;
pub mod listen;
mod page;
pub mod pg;
pub mod reports;
pub mod sqlite;
pub mod storage;
pub mod tls;
pub mod tokens;

pub use api::{router, router_with, ApiError, ApiOptions};
pub use blobs::{BlobStore, S3Config};
pub use error::{ErrorKind, ServerError};
pub use page::PageBody;
pub use pg::{PgOpenError, PgStorage};
pub use sqlite::SqliteStorage;
pub use storage::{
    AuditReport, DeviceAuth, DeviceInfo, FileRights, RevokeMode, Stats, Storage, UserInfo, VillageInfo, TOKEN_DAYS,
};

/// Serves the API on an already-bound listener until `shutdown` resolves: over HTTPS when
/// `options.tls` holds a certificate, plain HTTP otherwise.
pub async fn serve(
    listener: tokio::net::TcpListener,
    storage: Storage,
    blobs: BlobStore,
    options: ApiOptions,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let tls = options.tls.clone();
    listen::serve(listener, router_with(storage, blobs, options), tls, shutdown).await
}
