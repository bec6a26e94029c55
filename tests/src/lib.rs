//! Harness for the scenario tests: a real server on a loopback port over a real database (a SQLite
//! file, or PostgreSQL when `ZOUFANG_TEST_DB=postgres`), real device databases, and a proxy that cuts
//! connections where a flaky township Wi-Fi would.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use uuid::Uuid;
use zoufang_model::Scope;
pub use zoufang_server::Storage;

pub mod leaks;
pub mod world;
use zoufang_server::{PgStorage, SqliteStorage};
use zoufang_store::Store;

/// Which server backend a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// `ZOUFANG_TEST_DB=postgres` runs every server test against PostgreSQL (CI runs them both ways);
    /// unset or `sqlite`, against the embedded SQLite default.
    pub fn from_env() -> Backend {
        match std::env::var("ZOUFANG_TEST_DB").as_deref() {
            Err(_) | Ok("") | Ok("sqlite") => Backend::Sqlite,
            Ok("postgres") => Backend::Postgres,
            Ok(other) => panic!("ZOUFANG_TEST_DB={other}: expected sqlite or postgres"),
        }
    }
}

/// The PostgreSQL server tests use: `ZOUFANG_TEST_PG_URL`, else the local one this machine kind runs.
pub fn pg_url() -> String {
    std::env::var("ZOUFANG_TEST_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A connection to the test PostgreSQL; panics with what to do when it is unreachable (never skips).
pub fn pg_admin() -> postgres::Client {
    let url = pg_url();
    postgres::Client::connect(&url, postgres::NoTls).unwrap_or_else(|e| {
        panic!("PostgreSQL is unreachable at {url} ({e}); the PostgreSQL tests need it running (set ZOUFANG_TEST_PG_URL to use another)")
    })
}

/// The schema a test directory's server data lives in on PostgreSQL: every server started on the same
/// directory (a restart, a second replica) shares it. Schemas whose directory is gone are dropped when
/// the next one is made, so runs do not pile them up.
pub fn pg_schema_for(dir: &Path) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    dir.hash(&mut h);
    let name = format!("zt_{:016x}", h.finish());
    let mut c = pg_admin();
    // Tests start servers in parallel: one at a time here.
    c.batch_execute("SELECT pg_advisory_lock(7366001)").expect("lock");
    c.batch_execute("CREATE TABLE IF NOT EXISTS public.zoufang_test_schema (name text PRIMARY KEY, dir text NOT NULL)")
        .expect("test schema list");
    for r in c.query("SELECT name, dir FROM public.zoufang_test_schema", &[]).expect("test schemas") {
        let (old, d): (String, String) = (r.get(0), r.get(1));
        if old != name && !Path::new(&d).exists() {
            c.batch_execute(&format!("DROP SCHEMA IF EXISTS {old} CASCADE")).expect("drop old schema");
            c.execute("DELETE FROM public.zoufang_test_schema WHERE name = $1", &[&old]).expect("forget old schema");
        }
    }
    c.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {name}")).expect("create test schema");
    c.execute(
        "INSERT INTO public.zoufang_test_schema(name, dir) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        &[&name, &dir.to_string_lossy().as_ref()],
    )
    .expect("record test schema");
    c.batch_execute("SELECT pg_advisory_unlock(7366001)").expect("unlock");
    name
}

/// The URL of a server whose data lives in `schema`.
pub fn pg_url_in(schema: &str) -> String {
    let url = pg_url();
    let sep = if url.contains('?') { '&' } else { '?' };
    // Named after the schema too, so a test can find (and cut) its own server's connections.
    format!("{url}{sep}options=-csearch_path%3D{schema}&application_name={schema}")
}

/// A value for `TestServer::sql`: the same test reads either backend's tables.
#[derive(Debug, Clone, PartialEq)]
pub enum Sql {
    Null,
    Int(i64),
    Text(String),
    Id(Uuid),
}

impl Sql {
    pub fn int(&self) -> i64 {
        match self {
            Sql::Int(i) => *i,
            other => panic!("expected an integer, got {other:?}"),
        }
    }
    pub fn text(&self) -> &str {
        match self {
            Sql::Text(t) => t,
            other => panic!("expected text, got {other:?}"),
        }
    }
    pub fn id(&self) -> Uuid {
        match self {
            Sql::Id(u) => *u,
            other => panic!("expected an id, got {other:?}"),
        }
    }
}

/// What a test server's data is stored in.
pub enum ServerDb {
    Sqlite(Arc<SqliteStorage>, PathBuf),
    Postgres { url: String },
}

/// A running server.
pub struct TestServer {
    pub url: String,
    pub addr: SocketAddr,
    pub storage: Storage,
    pub db: ServerDb,
    /// Where the server keeps photo files.
    pub blobs: zoufang_server::BlobStore,
    /// The fingerprint of its certificate, when it speaks HTTPS: devices pin it at enrolment.
    pub pin: Option<String>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestServer {
    /// Starts a server on a free loopback port with its data kept for `dir` (the backend from the
    /// environment: see `Backend::from_env`).
    pub fn start(dir: &Path) -> TestServer {
        Self::start_at(dir, "127.0.0.1:0".parse().expect("address"))
    }

    pub fn start_at(dir: &Path, addr: SocketAddr) -> TestServer {
        let blobs = zoufang_server::BlobStore::local(&dir.join("blobs")).expect("blob directory");
        Self::start_with(dir, addr, blobs)
    }

    /// A server whose photo files go to `blobs` (e.g. an S3-compatible store).
    pub fn start_with(dir: &Path, addr: SocketAddr, blobs: zoufang_server::BlobStore) -> TestServer {
        Self::start_on(Backend::from_env(), dir, addr, blobs)
    }

    /// A server on a chosen backend (for tests of one backend's own features).
    pub fn start_on(backend: Backend, dir: &Path, addr: SocketAddr, blobs: zoufang_server::BlobStore) -> TestServer {
        Self::start_full(backend, dir, addr, blobs, zoufang_server::ApiOptions::default())
    }

    /// A server speaking HTTPS with a self-signed certificate made for loopback (valid `valid` if
    /// given: tests make expired ones); its certificate's SHA-256 fingerprint is returned with it.
    pub fn start_tls(dir: &Path, valid: Option<(time::OffsetDateTime, time::OffsetDateTime)>) -> (TestServer, String) {
        let names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
        let (cert, key) = zoufang_server::tls::make_self_signed(&dir.join("tls"), &names, valid).expect("certificate");
        let tls = zoufang_server::tls::load(&cert, &key).expect("load certificate");
        let options = zoufang_server::ApiOptions { tls: Some(tls.config.clone()), ..Default::default() };
        let mut server = Self::start_with_options(dir, options);
        server.pin = Some(tls.fingerprint.clone());
        (server, tls.fingerprint)
    }

    /// A server (backend from the environment) with API options, e.g. trusted proxies.
    pub fn start_with_options(dir: &Path, options: zoufang_server::ApiOptions) -> TestServer {
        let blobs = zoufang_server::BlobStore::local(&dir.join("blobs")).expect("blob directory");
        let addr = "127.0.0.1:0".parse().expect("address");
        Self::start_full(Backend::from_env(), dir, addr, blobs, options)
    }

    fn start_full(
        backend: Backend,
        dir: &Path,
        addr: SocketAddr,
        blobs: zoufang_server::BlobStore,
        options: zoufang_server::ApiOptions,
    ) -> TestServer {
        let served = blobs.clone();
        let tls = options.tls.is_some();
        let (storage, db): (Storage, ServerDb) = match backend {
            Backend::Sqlite => {
                let path = dir.join("server.db");
                let s = Arc::new(SqliteStorage::open(&path).expect("open server db"));
                (Storage::from(s.clone()), ServerDb::Sqlite(s, path))
            }
            Backend::Postgres => {
                let url = pg_url_in(&pg_schema_for(dir));
                let s = PgStorage::open(&url).unwrap_or_else(|e| panic!("PostgreSQL backend: {e}"));
                (Storage::from(s), ServerDb::Postgres { url })
            }
        };
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let s = storage.clone();
        let thread = std::thread::spawn(move || {
            let rt =
                tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind(addr).await.expect("bind");
                ready_tx.send(listener.local_addr().expect("addr")).expect("ready");
                zoufang_server::serve(listener, s, served, options, async {
                    let _ = rx.await;
                })
                .await
                .expect("serve");
            });
        });
        let addr = ready_rx.recv().expect("server started");
        let scheme = if tls { "https" } else { "http" };
        TestServer {
            url: format!("{scheme}://{addr}"),
            addr,
            storage,
            db,
            blobs,
            pin: None,
            stop: Some(tx),
            thread: Some(thread),
        }
    }

    /// The backend this server runs on.
    pub fn backend(&self) -> Backend {
        match self.db {
            ServerDb::Sqlite(..) => Backend::Sqlite,
            ServerDb::Postgres { .. } => Backend::Postgres,
        }
    }

    /// The SQLite storage, for tests of what only that backend does (file backups).
    pub fn sqlite(&self) -> &Arc<SqliteStorage> {
        match &self.db {
            ServerDb::Sqlite(s, _) => s,
            ServerDb::Postgres { .. } => panic!("this test needs the SQLite backend"),
        }
    }

    /// What `zoufang-server --db` takes to open this server's database.
    pub fn db_arg(&self) -> String {
        match &self.db {
            ServerDb::Sqlite(_, path) => path.to_string_lossy().into_owned(),
            ServerDb::Postgres { url } => url.clone(),
        }
    }

    /// Runs SQL on the server's database, as a person with database access could (to tamper with it
    /// or look inside). Parameters are `$1`, `$2`…; ids are bound as each backend stores them. Rows of
    /// a query, or the number of rows changed (as one `Int`) for a statement that returns none.
    pub fn sql(&self, sql: &str, params: &[Sql]) -> Vec<Vec<Sql>> {
        match &self.db {
            ServerDb::Sqlite(_, path) => sqlite_sql(path, sql, params),
            ServerDb::Postgres { url } => pg_sql(url, sql, params),
        }
    }

    /// The first column of the first row of `sql`, as an integer (counts, sequence numbers).
    pub fn sql_int(&self, sql: &str, params: &[Sql]) -> i64 {
        self.sql(sql, params)[0][0].int()
    }

    /// Whether `text` is anywhere in what the server stored about devices' changes (its database file
    /// and write-ahead log byte for byte on SQLite; every log and refused entry on PostgreSQL).
    pub fn stores_text(&self, text: &str) -> bool {
        match &self.db {
            ServerDb::Sqlite(_, path) => {
                let mut bytes = std::fs::read(path).expect("read server db");
                bytes.extend(std::fs::read(format!("{}-wal", path.display())).unwrap_or_default());
                bytes.windows(text.len()).any(|w| w == text.as_bytes())
            }
            ServerDb::Postgres { .. } => {
                let like = Sql::Text(format!("%{text}%"));
                self.sql_int(
                    "SELECT (SELECT count(*) FROM change_log c WHERE c::text LIKE $1) \
                     + (SELECT count(*) FROM rejected_change r WHERE r::text LIKE $1)",
                    &[like],
                ) > 0
            }
        }
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
        zoufang_client::enrol_pinned(&mut store, &self.url, self.pin.as_deref(), code, name).expect("enrol");
        store
    }

    /// A client for this server, trusting its certificate when it has one.
    pub fn client(&self) -> zoufang_client::Client {
        zoufang_client::Client::pinned(&self.url, self.pin.as_deref())
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

/// The opening most scenarios share: a server on loopback in a directory of its own with the small
/// demo county loaded (`seed_small`: 2 villages of 30 households). It derefs to the server, so
/// `s.device(…)`, `s.url` and `&s` read as the server. The directory is removed after the server stops.
pub struct Scenario {
    pub server: TestServer,
    /// The seeded villages' ids.
    pub villages: Vec<Uuid>,
    /// Declared last: dropped after the server has stopped.
    dir: tempfile::TempDir,
}

impl Scenario {
    pub fn start() -> Scenario {
        let dir = tempfile::tempdir().expect("scenario directory");
        let server = TestServer::start(dir.path());
        let villages = server.seed_small();
        Scenario { server, villages, dir }
    }

    /// The scenario's directory (device databases, blobs, the server's files).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// A work-team device of the `i`-th seeded village, its database at `file` in the scenario's
    /// directory, enrolled and synced once: it holds its village's households.
    pub fn village_device(&self, file: &str, name: &str, i: usize) -> Store {
        let mut store = self.server.device(&self.dir().join(file), name, Scope::Village(self.villages[i]));
        zoufang_client::sync(&mut store).expect("first sync");
        store
    }
}

impl std::ops::Deref for Scenario {
    type Target = TestServer;
    fn deref(&self) -> &TestServer {
        &self.server
    }
}

/// Kills `zoufang-cli sync` on `db` at varied moments: `rounds` runs, each killed if still going after
/// `wait(i)`; then one run to the end, which must succeed. Returns how many runs were killed (a test
/// that killed none proves nothing, and says so).
pub fn sync_killed_then_finished(db: &Path, rounds: u64, wait: impl Fn(u64) -> std::time::Duration) -> usize {
    let mut kills = 0;
    for i in 0..rounds {
        let mut child = cli_on(db)
            .arg("sync")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start zoufang-cli sync");
        std::thread::sleep(wait(i));
        if child.try_wait().expect("sync status").is_none() {
            child.kill().expect("kill sync");
            kills += 1;
        }
        let _ = child.wait();
    }
    let last = cli_on(db).arg("sync").output().expect("run zoufang-cli sync");
    assert!(last.status.success(), "the sync after the kills: {}", String::from_utf8_lossy(&last.stderr));
    assert!(kills > 0, "no sync was interrupted; the test proves nothing");
    kills
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
    /// Pass it through, but leave the next-page headers out of the response, as a server from before
    /// they were sent answered.
    OlderServer,
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

/// A response with the pull's next-page headers taken out of its head.
fn without_next_page_headers(resp: &[u8]) -> Vec<u8> {
    let Some(end) = resp.windows(4).position(|w| w == b"\r\n\r\n") else { return resp.to_vec() };
    let head = String::from_utf8_lossy(&resp[..end]);
    let kept: Vec<&str> = head
        .split("\r\n")
        .filter(|l| {
            let l = l.to_ascii_lowercase();
            ![zoufang_sync::NEXT_CURSOR_HEADER, zoufang_sync::MORE_HEADER]
                .iter()
                .any(|h| l.starts_with(&format!("{h}:")))
        })
        .collect();
    let mut out = kept.join("\r\n").into_bytes();
    out.extend_from_slice(&resp[end..]);
    out
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
                        if cut == Cut::OlderServer {
                            resp = without_next_page_headers(&resp);
                        }
                        let _ = client.write_all(&resp);
                    }
                });
            }
        });
        CuttingProxy { url, cuts_done }
    }
}

/// A rural link between a tablet and the server, on loopback: each direction limited to its rate,
/// every byte delayed by half the round trip, and every connection cut once it has carried
/// `cut_every` bytes (the link drops; the client has to connect again and carry on). Bytes are
/// counted, so a test can tell a sync that resumed from one that started over.
pub struct SlowLink {
    pub url: String,
    /// Bytes carried towards the tablet and towards the server, over all connections.
    pub down: Arc<AtomicUsize>,
    pub up: Arc<AtomicUsize>,
    pub cuts: Arc<AtomicUsize>,
}

/// What a link can carry.
#[derive(Debug, Clone, Copy)]
pub struct LinkProfile {
    pub down_bits_per_s: u64,
    pub up_bits_per_s: u64,
    pub round_trip: std::time::Duration,
    pub cut_every: usize,
}

impl LinkProfile {
    /// A township's link as the issue measures it: 512 kbit/s down, 128 kbit/s up, 300 ms round trip,
    /// the connection cut every 2 MB.
    pub fn rural() -> LinkProfile {
        LinkProfile {
            down_bits_per_s: 512_000,
            up_bits_per_s: 128_000,
            round_trip: std::time::Duration::from_millis(300),
            cut_every: 2 * 1024 * 1024,
        }
    }
}

impl SlowLink {
    /// A link to `upstream` (host:port); the URL keeps `scheme`.
    pub fn start(upstream: SocketAddr, scheme: &str, profile: LinkProfile) -> SlowLink {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind link");
        let url = format!("{scheme}://{}", listener.local_addr().expect("addr"));
        let (down, up, cuts) =
            (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let (d, u, c) = (down.clone(), up.clone(), cuts.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(client) = conn else { continue };
                let Ok(server) = TcpStream::connect(upstream) else { continue };
                let carried = Arc::new(AtomicUsize::new(0));
                let cut = Arc::new(std::sync::atomic::AtomicBool::new(false));
                let half = profile.round_trip / 2;
                for (from, to, rate, count) in [
                    (client.try_clone(), server.try_clone(), profile.up_bits_per_s, u.clone()),
                    (server.try_clone(), client.try_clone(), profile.down_bits_per_s, d.clone()),
                ] {
                    let (Ok(from), Ok(to)) = (from, to) else { continue };
                    let (carried, cut, cuts) = (carried.clone(), cut.clone(), c.clone());
                    pump(from, to, rate, half, profile.cut_every, carried, cut, count, cuts);
                }
            }
        });
        SlowLink { url, down, up, cuts }
    }
}

/// One direction of a slow link: a reader stamps each chunk with when it may arrive (after the delay,
/// and after the chunks before it have gone through at the rate), a writer sends it then.
#[allow(clippy::too_many_arguments)]
fn pump(
    mut from: TcpStream,
    mut to: TcpStream,
    bits_per_s: u64,
    delay: std::time::Duration,
    cut_every: usize,
    carried: Arc<AtomicUsize>,
    cut: Arc<std::sync::atomic::AtomicBool>,
    count: Arc<AtomicUsize>,
    cuts: Arc<AtomicUsize>,
) {
    use std::time::{Duration, Instant};
    let (tx, rx) = std::sync::mpsc::channel::<(Instant, Vec<u8>)>();
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 4096];
        let mut free_at = Instant::now();
        loop {
            let n = match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let now = Instant::now();
            let on_wire = Duration::from_secs_f64(n as f64 * 8.0 / bits_per_s as f64);
            free_at = free_at.max(now) + on_wire;
            if tx.send((free_at + delay, buf[..n].to_vec())).is_err() {
                break;
            }
        }
    });
    std::thread::spawn(move || {
        for (at, bytes) in rx {
            if cut.load(Ordering::SeqCst) {
                break;
            }
            let now = Instant::now();
            if at > now {
                std::thread::sleep(at - now);
            }
            // The link drops once the connection has carried its share.
            let before = carried.fetch_add(bytes.len(), Ordering::SeqCst);
            let room = cut_every.saturating_sub(before).min(bytes.len());
            if to.write_all(&bytes[..room]).is_err() {
                break;
            }
            count.fetch_add(room, Ordering::SeqCst);
            if room < bytes.len() {
                if !cut.swap(true, Ordering::SeqCst) {
                    cuts.fetch_add(1, Ordering::SeqCst);
                }
                break;
            }
        }
        let _ = to.shutdown(std::net::Shutdown::Both);
    });
}

/// A reverse proxy on loopback that forwards every request to `upstream` with `X-Forwarded-For`
/// extended by the client address it stands for (each proxy listener plays one client, as a county's
/// TLS proxy forwards the real address of each tablet). One request per connection.
pub struct ForwardingProxy {
    pub url: String,
}

impl ForwardingProxy {
    pub fn start(upstream: SocketAddr, client: std::net::IpAddr) -> ForwardingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { continue };
                std::thread::spawn(move || {
                    let Some(req) = read_request(&mut conn) else { return };
                    let Some(end) = req.windows(4).position(|w| w == b"\r\n\r\n") else { return };
                    let head = String::from_utf8_lossy(&req[..end]).into_owned();
                    // Appends to what the client sent, as `$proxy_add_x_forwarded_for` does.
                    let mut sent_xff = None;
                    let mut lines: Vec<String> = Vec::new();
                    for line in head.split("\r\n") {
                        match line.split_once(':') {
                            Some((k, v)) if k.eq_ignore_ascii_case("x-forwarded-for") => {
                                sent_xff = Some(v.trim().to_string())
                            }
                            Some((k, _)) if k.eq_ignore_ascii_case("connection") => {}
                            _ => lines.push(line.to_string()),
                        }
                    }
                    let xff = match sent_xff {
                        Some(x) => format!("{x}, {client}"),
                        None => client.to_string(),
                    };
                    lines.push(format!("X-Forwarded-For: {xff}"));
                    lines.push("Connection: close".into());
                    let mut fwd = lines.join("\r\n").into_bytes();
                    fwd.extend_from_slice(&req[end..]);
                    let Ok(mut up) = TcpStream::connect(upstream) else { return };
                    if up.write_all(&fwd).is_err() {
                        return;
                    }
                    let mut resp = Vec::new();
                    let _ = up.read_to_end(&mut resp);
                    let _ = conn.write_all(&resp);
                });
            }
        });
        ForwardingProxy { url }
    }
}

/// A device that sends hand-made changes, as a modified app could: enrolled like any device, it links
/// each change it sends into its history chain (the server refuses a change without its link) unless
/// the test says otherwise, and keeps its place in the chain only when the server took the batch.
pub struct RawDevice {
    pub id: Uuid,
    pub token: String,
    pub client: zoufang_client::Client,
    pub link: zoufang_sync::chain::Link,
    pub batch: u64,
    clock: zoufang_sync::Clock,
}

impl RawDevice {
    /// Enrols a new device for `scope` with `role`.
    pub fn enrol(server: &TestServer, name: &str, scope: &Scope, role: zoufang_model::Role) -> RawDevice {
        let code = server.storage.create_enrol_code_for(name, scope, role, 1, 30).expect("code");
        let id = Uuid::now_v7();
        let e = server.client().enrol(&code, id, name).expect("enrol");
        RawDevice {
            id,
            client: server.client().with_token(&e.token),
            token: e.token,
            link: zoufang_sync::chain::GENESIS,
            batch: 0,
            clock: zoufang_sync::Clock::default(),
        }
    }

    /// A change by this device, dated now by its clock, not yet linked.
    pub fn change(
        &mut self,
        entity: zoufang_model::Entity,
        row: Uuid,
        field: &str,
        value: serde_json::Value,
        base: Option<zoufang_sync::Version>,
    ) -> zoufang_sync::Change {
        zoufang_sync::Change {
            id: Uuid::now_v7(),
            entity,
            row,
            field: field.to_string(),
            value,
            hlc: self.clock.tick(zoufang_sync::hlc::now_ms()),
            device: self.id,
            base,
            seen: None,
            chain: None,
        }
    }

    /// Links the changes that carry no link yet (one after another, continuing this device's history)
    /// and sends them as the next batch.
    pub fn push(
        &mut self,
        mut changes: Vec<zoufang_sync::Change>,
    ) -> Result<zoufang_sync::PushResponse, zoufang_client::SyncError> {
        let mut link = self.link;
        for c in &mut changes {
            match &c.chain {
                Some(sent) => link = zoufang_sync::chain::from_hex(sent).unwrap_or(link),
                None => link = zoufang_sync::chain::link_all(link, std::slice::from_mut(c)),
            }
        }
        self.push_as_is(changes, link)
    }

    /// Sends the changes exactly as given (links, dates and all); `link` is where the history stands
    /// if the server takes the batch.
    pub fn push_as_is(
        &mut self,
        changes: Vec<zoufang_sync::Change>,
        link: zoufang_sync::chain::Link,
    ) -> Result<zoufang_sync::PushResponse, zoufang_client::SyncError> {
        self.batch += 1;
        let req = zoufang_sync::PushRequest { protocol: zoufang_sync::PROTOCOL, batch: self.batch, changes };
        let r = self.client.push(&req)?;
        self.link = link;
        self.clock.observe(r.server_hlc, zoufang_sync::hlc::now_ms());
        Ok(r)
    }
}

/// Reads a started `zoufang-server serve`'s banner from its standard output (piped) up to the line
/// that says it is serving, keeps draining the rest, and returns the certificate fingerprint it printed
/// (lowercase hex), if it serves HTTPS.
pub fn server_banner(child: &mut std::process::Child) -> (String, Option<String>) {
    use std::io::BufRead;
    let mut lines = std::io::BufReader::new(child.stdout.take().expect("piped stdout")).lines();
    let mut banner = String::new();
    for line in lines.by_ref() {
        let line = line.expect("banner");
        banner.push_str(&line);
        banner.push('\n');
        if line.contains("按 Ctrl-C 停止") {
            break;
        }
    }
    std::thread::spawn(move || for _ in lines {});
    let fp =
        banner.lines().find_map(|l| l.split_once("证书 SHA-256 指纹：").map(|x| x.1.replace(' ', "").to_lowercase()));
    (banner, fp)
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
            // Made by someone outside the helper register, so every push has the same 17 fields.
            .map(|(k, v)| (zoufang_model::Visit { helper_id: None, ..v.clone() }, entries[k % entries.len()].clone()))
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

fn sqlite_sql(path: &Path, sql: &str, params: &[Sql]) -> Vec<Vec<Sql>> {
    use rusqlite::types::{Value, ValueRef};
    let conn = rusqlite::Connection::open(path).expect("open server db");
    conn.busy_timeout(std::time::Duration::from_secs(10)).expect("busy timeout");
    let bind: Vec<Value> = params
        .iter()
        .map(|p| match p {
            Sql::Null => Value::Null,
            Sql::Int(i) => Value::Integer(*i),
            Sql::Text(t) => Value::Text(t.clone()),
            Sql::Id(u) => Value::Blob(u.as_bytes().to_vec()),
        })
        .collect();
    let mut stmt = conn.prepare(sql).expect("prepare");
    let cols = stmt.column_count();
    if cols == 0 {
        let n = stmt.execute(rusqlite::params_from_iter(bind)).expect("execute");
        return vec![vec![Sql::Int(n as i64)]];
    }
    let rows = stmt
        .query_map(rusqlite::params_from_iter(bind), |r| {
            (0..cols)
                .map(|i| {
                    Ok(match r.get_ref(i)? {
                        ValueRef::Null => Sql::Null,
                        ValueRef::Integer(i) => Sql::Int(i),
                        ValueRef::Real(f) => Sql::Int(f as i64),
                        ValueRef::Text(t) => Sql::Text(String::from_utf8_lossy(t).into()),
                        ValueRef::Blob(b) => Uuid::from_slice(b).map(Sql::Id).unwrap_or(Sql::Null),
                    })
                })
                .collect::<rusqlite::Result<Vec<Sql>>>()
        })
        .expect("query");
    rows.map(|r| r.expect("row")).collect()
}

fn pg_sql(url: &str, sql: &str, params: &[Sql]) -> Vec<Vec<Sql>> {
    use postgres::types::{ToSql, Type};
    let mut c = postgres::Client::connect(url, postgres::NoTls).expect("connect");
    let owned: Vec<Box<dyn ToSql + Sync>> = params
        .iter()
        .map(|p| -> Box<dyn ToSql + Sync> {
            match p {
                Sql::Null => Box::new(Option::<String>::None),
                Sql::Int(i) => Box::new(*i),
                Sql::Text(t) => Box::new(t.clone()),
                Sql::Id(u) => Box::new(*u),
            }
        })
        .collect();
    let refs: Vec<&(dyn ToSql + Sync)> = owned.iter().map(|b| b.as_ref()).collect();
    let stmt = c.prepare(sql).expect("prepare");
    if stmt.columns().is_empty() {
        let n = c.execute(&stmt, &refs).expect("execute");
        return vec![vec![Sql::Int(n as i64)]];
    }
    let rows = c.query(&stmt, &refs).expect("query");
    rows.iter()
        .map(|r| {
            (0..r.len())
                .map(|i| {
                    let t = r.columns()[i].type_().clone();
                    if t == Type::INT8 {
                        r.get::<_, Option<i64>>(i).map_or(Sql::Null, Sql::Int)
                    } else if t == Type::INT4 {
                        r.get::<_, Option<i32>>(i).map_or(Sql::Null, |v| Sql::Int(v.into()))
                    } else if t == Type::BOOL {
                        r.get::<_, Option<bool>>(i).map_or(Sql::Null, |v| Sql::Int(v.into()))
                    } else if t == Type::UUID {
                        r.get::<_, Option<Uuid>>(i).map_or(Sql::Null, Sql::Id)
                    } else {
                        r.get::<_, Option<String>>(i).map_or(Sql::Null, Sql::Text)
                    }
                })
                .collect()
        })
        .collect()
}
