//! Harness for the scenario tests: a real server on a loopback port over a real SQLite file, real device
//! databases, and a proxy that cuts connections where a flaky township Wi-Fi would.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use uuid::Uuid;
use zoufang_model::Scope;
use zoufang_server::SqliteStorage;
pub use zoufang_server::Storage;
use zoufang_store::Store;

/// A running server.
pub struct TestServer {
    pub url: String,
    pub addr: SocketAddr,
    pub storage: Arc<SqliteStorage>,
    /// Where the server keeps photo files.
    pub blobs: zoufang_server::BlobStore,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestServer {
    /// Starts a server on a free loopback port with its database in `dir`.
    pub fn start(dir: &Path) -> TestServer {
        Self::start_at(dir, "127.0.0.1:0".parse().expect("address"))
    }

    pub fn start_at(dir: &Path, addr: SocketAddr) -> TestServer {
        let blobs = zoufang_server::BlobStore::local(&dir.join("blobs")).expect("blob directory");
        Self::start_with(dir, addr, blobs)
    }

    /// A server whose photo files go to `blobs` (e.g. an S3-compatible store).
    pub fn start_with(dir: &Path, addr: SocketAddr, blobs: zoufang_server::BlobStore) -> TestServer {
        let served = blobs.clone();
        let storage = Arc::new(SqliteStorage::open(&dir.join("server.db")).expect("open server db"));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let s: Arc<dyn Storage> = storage.clone();
        let thread = std::thread::spawn(move || {
            let rt =
                tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind(addr).await.expect("bind");
                ready_tx.send(listener.local_addr().expect("addr")).expect("ready");
                zoufang_server::serve(listener, s, served, async {
                    let _ = rx.await;
                })
                .await
                .expect("serve");
            });
        });
        let addr = ready_rx.recv().expect("server started");
        TestServer { url: format!("http://{addr}"), addr, storage, blobs, stop: Some(tx), thread: Some(thread) }
    }

    /// Loads a small demo county (2 villages of 30 households) and returns the village ids.
    pub fn seed_small(&self) -> Vec<Uuid> {
        let today = chrono::Local::now().date_naive();
        let size = zoufang_demo::Size {
            townships: 1,
            villages_per_township: 2,
            households_per_village: 30,
            visits_per_household: 2,
            today,
        };
        let county = zoufang_demo::county(11, size);
        self.storage.ingest_trusted("演示数据导入", &county.to_changes(Uuid::from_u128(0x5eed))).expect("seed");
        county.villages.iter().map(|v| v.id).collect()
    }

    /// A device database at `path`, enrolled with this server for `scope` (work team for a village,
    /// township staff or county office for the wider scopes).
    pub fn device(&self, path: &Path, name: &str, scope: Scope) -> Store {
        let code = self.storage.create_enrol_code(name, &scope, 1).expect("code");
        self.enrol_with(path, name, &code)
    }

    /// A device database at `path`, enrolled for `scope` with `role`.
    pub fn device_as(&self, path: &Path, name: &str, scope: Scope, role: zoufang_model::Role) -> Store {
        let code = self.storage.create_enrol_code_for(name, &scope, role, 1, 30).expect("code");
        self.enrol_with(path, name, &code)
    }

    fn enrol_with(&self, path: &Path, name: &str, code: &str) -> Store {
        let mut store = open_device(path);
        zoufang_client::enrol(&mut store, &self.url, code, name).expect("enrol");
        store
    }

    /// The number of entries in the server's change log.
    pub fn log_len(&self) -> i64 {
        self.storage.stats().expect("stats").changes
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// How the proxy mistreats a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    /// Pass it through.
    None,
    /// Drop the connection before the request reaches the server.
    BeforeRequest,
    /// Forward the request, let the server act on it, then drop the connection before the response.
    BeforeResponse,
    /// Forward the headers and half the body, then drop the connection (Wi-Fi gone mid-upload).
    MidBody,
}

/// A loopback HTTP/1.1 proxy that cuts connections according to a plan (one entry per request; then
/// passes everything through).
pub struct CuttingProxy {
    pub url: String,
    pub cuts_done: Arc<AtomicUsize>,
}

fn read_request(s: &mut TcpStream) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 65536];
    loop {
        let n = s.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:").map(|v| v.trim().parse::<usize>().unwrap_or(0)))
                .unwrap_or(0);
            while buf.len() < end + 4 + len {
                let n = s.read(&mut chunk).ok()?;
                if n == 0 {
                    return None;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            return Some(buf);
        }
    }
}

impl CuttingProxy {
    pub fn start(upstream: SocketAddr, plan: Vec<Cut>) -> CuttingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let plan = Arc::new(std::sync::Mutex::new(plan.into_iter()));
        let cuts_done = Arc::new(AtomicUsize::new(0));
        let done = cuts_done.clone();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(mut client) = client else { continue };
                let plan = plan.clone();
                let done = done.clone();
                std::thread::spawn(move || {
                    // One request per connection: ask the server to close afterwards.
                    if let Some(req) = read_request(&mut client) {
                        let cut = plan.lock().map(|mut p| p.next().unwrap_or(Cut::None)).unwrap_or(Cut::None);
                        if cut == Cut::BeforeRequest {
                            done.fetch_add(1, Ordering::SeqCst);
                            return;
                        }
                        let Ok(mut up) = TcpStream::connect(upstream) else { return };
                        // Bodies may be binary (photo chunks): splice the header in as bytes.
                        let Some(end) = req.windows(4).position(|w| w == b"\r\n\r\n") else { return };
                        let mut fwd = req[..end].to_vec();
                        fwd.extend_from_slice(b"\r\nConnection: close");
                        fwd.extend_from_slice(&req[end..]);
                        if cut == Cut::MidBody {
                            let body_len = req.len() - end - 4;
                            let _ = up.write_all(&fwd[..fwd.len() - body_len / 2 - 1]);
                            std::thread::sleep(std::time::Duration::from_millis(20));
                            done.fetch_add(1, Ordering::SeqCst);
                            return;
                        }
                        if up.write_all(&fwd).is_err() {
                            return;
                        }
                        let mut resp = Vec::new();
                        let _ = up.read_to_end(&mut resp);
                        if cut == Cut::BeforeResponse {
                            done.fetch_add(1, Ordering::SeqCst);
                            return;
                        }
                        let _ = client.write_all(&resp);
                    }
                });
            }
        });
        CuttingProxy { url, cuts_done }
    }
}

/// The unlock secret of every test device's database (devices are encrypted at rest, as in the field).
pub const UNLOCK: &str = "测试平板密码";

/// Opens (creating if needed) a test device's encrypted database.
pub fn open_device(path: &Path) -> Store {
    Store::open_encrypted(path, UNLOCK).expect("open device db")
}

/// `zoufang-cli` on a test device's database: the binary, `--db` and its unlock secret.
pub fn cli_on(db: &Path) -> std::process::Command {
    let mut c = std::process::Command::new(cli_binary());
    c.arg("--db").arg(db).env("ZOUFANG_UNLOCK", UNLOCK);
    c
}

/// The `zoufang-cli` binary built alongside the tests (`make test` builds it first).
pub fn cli_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    let dir = exe.parent().and_then(|d| d.parent()).expect("target dir");
    let bin = dir.join(format!("zoufang-cli{}", std::env::consts::EXE_SUFFIX));
    assert!(bin.exists(), "{} is missing: build it first with `cargo build --bins` (make test does)", bin.display());
    bin
}

/// A tablet's field work without a device database, for load and concurrency tests: new visits and
/// 扶贫手册 entries modelled on a village's generated ones, stamped by the tablet's clock and linked into
/// its history chain exactly as a device store would push them.
pub struct FieldWork {
    pub device: Uuid,
    templates: Vec<(zoufang_model::Visit, zoufang_model::HandbookEntry)>,
    clock: zoufang_sync::Clock,
    link: zoufang_sync::chain::Link,
    next: usize,
    batch: u64,
}

impl FieldWork {
    /// Work on the households of `village` in `county` (it must have visits and handbook entries).
    pub fn new(device: Uuid, county: &zoufang_demo::County, village: Uuid) -> FieldWork {
        let households: std::collections::HashSet<Uuid> =
            county.households.iter().filter(|h| h.village_id == village).map(|h| h.id).collect();
        let entries: Vec<_> = county.handbook.iter().filter(|e| households.contains(&e.household_id)).collect();
        assert!(!entries.is_empty(), "the generated village has no 扶贫手册 entries to model new ones on");
        let templates = county
            .visits
            .iter()
            .filter(|v| households.contains(&v.household_id))
            .take(20)
            .enumerate()
            .map(|(k, v)| (v.clone(), entries[k % entries.len()].clone()))
            .collect();
        FieldWork {
            device,
            templates,
            clock: zoufang_sync::Clock::resume(zoufang_sync::Hlc::default()),
            link: zoufang_sync::chain::GENESIS,
            next: 0,
            batch: 0,
        }
    }

    /// The next push: one new visit and one new handbook entry (17 field changes), chained. Returns the
    /// request and the new visit's id.
    pub fn next_push(&mut self) -> (zoufang_sync::PushRequest, Uuid) {
        use zoufang_model::Record;
        let (mut visit, mut entry) = self.templates[self.next % self.templates.len()].clone();
        self.next += 1;
        visit.id = Uuid::now_v7();
        visit.notes = Some(format!("入户走访，核实家庭情况（{}）", &visit.id.simple().to_string()[..8]));
        entry.id = Uuid::now_v7();
        let mut changes = Vec::new();
        for (entity, row, fields) in [
            (zoufang_model::Entity::Visit, visit.id, visit.to_fields()),
            (zoufang_model::Entity::HandbookEntry, entry.id, entry.to_fields()),
        ] {
            for (field, value) in zoufang_model::schema::creation_order(entity, &fields) {
                let mut c = zoufang_sync::Change {
                    id: Uuid::now_v7(),
                    entity,
                    row,
                    field: field.to_string(),
                    value,
                    hlc: self.clock.tick(zoufang_sync::hlc::now_ms()),
                    device: self.device,
                    base: None,
                    seen: None,
                    chain: None,
                };
                self.link = zoufang_sync::chain::next_link(&self.link, &c);
                c.chain = Some(zoufang_sync::chain::to_hex(&self.link));
                changes.push(c);
            }
        }
        self.batch += 1;
        (zoufang_sync::PushRequest { protocol: zoufang_sync::PROTOCOL, batch: self.batch, changes }, visit.id)
    }

    /// Moves the tablet's clock past the server's, as a device does after each push.
    pub fn observe(&mut self, server: zoufang_sync::Hlc) {
        self.clock.observe(server, zoufang_sync::hlc::now_ms());
    }
}
