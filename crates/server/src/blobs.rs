//! Photo files on the server, in an object store (`object_store`): a local directory by default, any
//! S3-compatible store by configuration.
//!
//! Uploads arrive in chunks. Each chunk is its own object under `uploads/<hash>/<offset>`, so the
//! state of an upload lives in the object store itself: a restarted server, or another replica, sees
//! how far it got. When the last chunk arrives the chunks are read back in order and hashed; only a
//! file whose SHA-256 equals its name is written to `photos/<h2>/<hash>`, then the chunks are removed.
//! A kill at any point leaves either chunks to continue from or the finished file; never two copies.
//!
//! A device whose record names a file the server already has, but which may not read it (its record
//! was not the first to name it), shows it holds the bytes by uploading them all the same, under
//! `proofs/<hash>/<device>/<offset>`: they are hashed like an upload and then dropped.

use crate::error::{ErrorKind, ServerError};
use axum::body::Bytes;
use futures_util::TryStreamExt;
use object_store::path::Path as ObjPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use uuid::Uuid;
use zoufang_sync::{BlobStatus, BLOB_CHUNK, MAX_BLOB};

/// Settings of an S3-compatible store.
#[derive(Debug, Clone)]
pub struct S3Config {
    pub bucket: String,
    pub region: String,
    /// e.g. `http://127.0.0.1:9000` for a local S3-compatible server; `None` for AWS itself.
    pub endpoint: Option<String>,
    pub access_key: String,
    pub secret_key: String,
}

/// Where photo files are kept.
#[derive(Clone)]
pub struct BlobStore {
    store: Arc<dyn ObjectStore>,
    /// For the start-up banner: the directory or bucket.
    pub describe: String,
}

fn err(e: object_store::Error) -> ServerError {
    ServerError::new(ErrorKind::Unavailable, "blob_store", format!("照片存储暂时不可用：{e}"))
}

fn is_hash(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl BlobStore {
    /// A local directory (created if needed).
    pub fn local(dir: &std::path::Path) -> Result<BlobStore, ServerError> {
        std::fs::create_dir_all(dir).map_err(ServerError::internal)?;
        let store = object_store::local::LocalFileSystem::new_with_prefix(dir).map_err(ServerError::internal)?;
        Ok(BlobStore { store: Arc::new(store), describe: dir.display().to_string() })
    }

    /// An S3-compatible store with explicit settings (tests point it at a local S3 server).
    pub fn s3(c: &S3Config) -> Result<BlobStore, ServerError> {
        let mut b = object_store::aws::AmazonS3Builder::new()
            .with_bucket_name(&c.bucket)
            .with_region(&c.region)
            .with_access_key_id(&c.access_key)
            .with_secret_access_key(&c.secret_key);
        if let Some(e) = &c.endpoint {
            b = b.with_endpoint(e).with_allow_http(e.starts_with("http://"));
        }
        let s3 = b.build().map_err(ServerError::internal)?;
        Ok(BlobStore { store: Arc::new(s3), describe: format!("s3://{}", c.bucket) })
    }

    /// `s3://bucket[/prefix]` (endpoint, region and keys from the usual `AWS_*` environment variables,
    /// e.g. `AWS_ENDPOINT=http://127.0.0.1:9000` for an S3-compatible server), or a directory path.
    pub fn from_config(location: &str) -> Result<BlobStore, ServerError> {
        if let Some(rest) = location.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            let mut b = object_store::aws::AmazonS3Builder::from_env().with_bucket_name(bucket);
            if std::env::var("AWS_ENDPOINT").is_ok_and(|e| e.starts_with("http://")) {
                b = b.with_allow_http(true);
            }
            let s3 = b.build().map_err(ServerError::internal)?;
            let store: Arc<dyn ObjectStore> = if prefix.is_empty() {
                Arc::new(s3)
            } else {
                Arc::new(object_store::prefix::PrefixStore::new(s3, prefix))
            };
            return Ok(BlobStore { store, describe: location.to_string() });
        }
        BlobStore::local(std::path::Path::new(location))
    }

    fn final_path(hash: &str) -> ObjPath {
        ObjPath::from(format!("photos/{}/{hash}", &hash[..2]))
    }

    fn upload_dir(hash: &str) -> ObjPath {
        ObjPath::from(format!("uploads/{hash}"))
    }

    fn proof_dir(hash: &str, device: Uuid) -> ObjPath {
        ObjPath::from(format!("proofs/{hash}/{}", device.simple()))
    }

    /// Chunks stored under `dir`, by offset.
    async fn chunks(&self, dir: &ObjPath) -> Result<Vec<(u64, u64, ObjPath)>, ServerError> {
        let listed: Vec<object_store::ObjectMeta> = self.store.list(Some(dir)).try_collect().await.map_err(err)?;
        let mut out: Vec<(u64, u64, ObjPath)> = listed
            .into_iter()
            .filter_map(|m| {
                let offset = m.location.filename()?.parse::<u64>().ok()?;
                Some((offset, m.size, m.location))
            })
            .collect();
        out.sort_by_key(|c| c.0);
        Ok(out)
    }

    /// Bytes stored contiguously from the start.
    fn contiguous(chunks: &[(u64, u64, ObjPath)]) -> u64 {
        let mut received = 0;
        for (offset, size, _) in chunks {
            if *offset != received {
                break;
            }
            received += size;
        }
        received
    }

    async fn is_complete(&self, hash: &str) -> Result<bool, ServerError> {
        match self.store.head(&Self::final_path(hash)).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(err(e)),
        }
    }

    async fn remove_chunks(&self, chunks: &[(u64, u64, ObjPath)]) -> Result<(), ServerError> {
        for (_, _, p) in chunks {
            match self.store.delete(p).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(err(e)),
            }
        }
        Ok(())
    }

    /// How far the server has the file.
    pub async fn status(&self, hash: &str) -> Result<BlobStatus, ServerError> {
        check_hash(hash)?;
        if self.is_complete(hash).await? {
            // Chunks left by a finish that was cut off after the file was written.
            let left = self.chunks(&Self::upload_dir(hash)).await?;
            self.remove_chunks(&left).await?;
            return Ok(BlobStatus { received: 0, complete: true });
        }
        let chunks = self.chunks(&Self::upload_dir(hash)).await?;
        Ok(BlobStatus { received: Self::contiguous(&chunks), complete: false })
    }

    /// How far `device` got showing it holds a file the server already has.
    pub async fn proof_status(&self, hash: &str, device: Uuid) -> Result<BlobStatus, ServerError> {
        check_hash(hash)?;
        let chunks = self.chunks(&Self::proof_dir(hash, device)).await?;
        Ok(BlobStatus { received: Self::contiguous(&chunks), complete: false })
    }

    /// Stores one chunk at `offset` of a file of `size` bytes; finishes the file with the last chunk.
    /// A chunk at any other offset than the next expected one is refused with 409 and the status, so the
    /// device continues from where the server really is. Also says whether this chunk made the file
    /// whole (its sender then holds its bytes).
    pub async fn put_chunk(
        &self,
        hash: &str,
        size: u64,
        offset: u64,
        data: Bytes,
    ) -> Result<(BlobStatus, bool), ServerError> {
        check_chunk(hash, size, offset, &data)?;
        let status = self.status(hash).await?;
        if status.complete {
            return Ok((status, false));
        }
        let dir = Self::upload_dir(hash);
        match self.receive(&dir, hash, size, offset, status.received, data).await? {
            Received::Partial(s) => Ok((s, false)),
            Received::Whole(bytes) => {
                self.store.put(&Self::final_path(hash), PutPayload::from(bytes)).await.map_err(err)?;
                let chunks = self.chunks(&dir).await?;
                self.remove_chunks(&chunks).await?;
                Ok((BlobStatus { received: size, complete: true }, true))
            }
        }
    }

    /// Like `put_chunk`, for a device showing it holds a file the server already has: the chunks are
    /// gathered apart and, once whole and matching the name, dropped. `true` once shown.
    pub async fn put_proof_chunk(
        &self,
        hash: &str,
        device: Uuid,
        size: u64,
        offset: u64,
        data: Bytes,
    ) -> Result<(BlobStatus, bool), ServerError> {
        check_chunk(hash, size, offset, &data)?;
        let dir = Self::proof_dir(hash, device);
        let received = Self::contiguous(&self.chunks(&dir).await?);
        match self.receive(&dir, hash, size, offset, received, data).await? {
            Received::Partial(s) => Ok((s, false)),
            Received::Whole(_) => {
                let chunks = self.chunks(&dir).await?;
                self.remove_chunks(&chunks).await?;
                Ok((BlobStatus { received: size, complete: true }, true))
            }
        }
    }

    /// Stores a chunk under `dir` where `received` bytes already are; with the last one, reads the
    /// chunks back in order and checks them against the name (a mismatch discards them).
    async fn receive(
        &self,
        dir: &ObjPath,
        hash: &str,
        size: u64,
        offset: u64,
        received: u64,
        data: Bytes,
    ) -> Result<Received, ServerError> {
        if offset != received {
            return Err(ServerError::new(
                ErrorKind::Conflict,
                "blob_offset",
                format!("服务器已收到 {received} 字节，应从该位置继续上传"),
            ));
        }
        let end = offset + data.len() as u64;
        if !data.is_empty() {
            self.store.put(&dir.clone().join(format!("{offset:012}")), PutPayload::from(data)).await.map_err(err)?;
        }
        if end < size {
            return Ok(Received::Partial(BlobStatus { received: end, complete: false }));
        }
        let chunks = self.chunks(dir).await?;
        let mut whole = Vec::with_capacity(size as usize);
        let mut hasher = Sha256::new();
        for (offset, _, path) in &chunks {
            if *offset != whole.len() as u64 {
                break;
            }
            let bytes = self.store.get(path).await.map_err(err)?.bytes().await.map_err(err)?;
            hasher.update(&bytes);
            whole.extend_from_slice(&bytes);
        }
        let got: String = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
        if whole.len() as u64 != size || got != hash {
            self.remove_chunks(&chunks).await?;
            return Err(ServerError::new(
                ErrorKind::Unprocessable,
                "blob_hash",
                format!("收到的照片内容与编号不符（{} 字节），已丢弃，请重新上传", whole.len()),
            ));
        }
        Ok(Received::Whole(whole))
    }

    /// Stores a whole file at once (demo data and imports on the server itself), after checking its hash.
    pub async fn put_whole(&self, hash: &str, bytes: Vec<u8>) -> Result<(), ServerError> {
        check_hash(hash)?;
        let got: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
        if got != hash {
            return Err(ServerError::bad_request("照片内容与编号不符"));
        }
        self.store.put(&Self::final_path(hash), PutPayload::from(bytes)).await.map_err(err)?;
        Ok(())
    }

    /// The whole file, or `None` while the server does not have it.
    pub async fn get(&self, hash: &str) -> Result<Option<Bytes>, ServerError> {
        check_hash(hash)?;
        match self.store.get(&Self::final_path(hash)).await {
            Ok(r) => Ok(Some(r.bytes().await.map_err(err)?)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(err(e)),
        }
    }

    /// Every object's path (tests count files and leftovers with it).
    pub async fn list_all(&self) -> Result<Vec<String>, ServerError> {
        let listed: Vec<object_store::ObjectMeta> = self.store.list(None).try_collect().await.map_err(err)?;
        let mut out: Vec<String> = listed.into_iter().map(|m| m.location.to_string()).collect();
        out.sort();
        Ok(out)
    }
}

/// What storing a chunk came to.
enum Received {
    Partial(BlobStatus),
    /// The last chunk: the whole file, checked against its name.
    Whole(Vec<u8>),
}

/// Refuses a chunk that cannot belong to a file of `size` bytes (or a size beyond the limit).
fn check_chunk(hash: &str, size: u64, offset: u64, data: &Bytes) -> Result<(), ServerError> {
    check_hash(hash)?;
    if size == 0 || size > MAX_BLOB {
        return Err(ServerError::new(
            ErrorKind::TooLarge,
            "blob_too_large",
            format!("照片文件大小 {size} 字节无效：最大 {} MB", MAX_BLOB / 1024 / 1024),
        ));
    }
    let end = offset.checked_add(data.len() as u64).filter(|e| *e <= size);
    // An empty chunk at the end finishes an upload whose last chunk was stored but not yet put
    // together (the request was cut off in between).
    let empty_not_at_end = data.is_empty() && offset != size;
    if empty_not_at_end || data.len() > BLOB_CHUNK || end.is_none() {
        return Err(ServerError::bad_request(format!(
            "照片分块无效：位置 {offset}，长度 {}，文件大小 {size}（每块最多 {} KB）",
            data.len(),
            BLOB_CHUNK / 1024
        )));
    }
    Ok(())
}

fn check_hash(hash: &str) -> Result<(), ServerError> {
    if is_hash(hash) {
        Ok(())
    } else {
        Err(ServerError::bad_request("照片编号无效：应为 64 位小写十六进制 SHA-256"))
    }
}
