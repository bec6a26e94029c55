//! `zoufang-server`: run the sync server, or administer its database (enrol devices, revoke them, load
//! demo data, look at what is there).

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::sync::Arc;
use uuid::Uuid;
use zoufang_model::{Role, Scope};
use zoufang_server::{PgStorage, RevokeMode, SqliteStorage, Storage};

#[derive(Parser)]
#[command(name = "zoufang-server", version, about = "走访 sync server")]
struct Cli {
    /// The server database: a SQLite file (one county), or a PostgreSQL URL
    /// `postgres://user@host/database` (a province; several servers may share it).
    #[arg(long, global = true, default_value = "data/server.db", env = "ZOUFANG_DB")]
    db: String,
    /// Where `admin report` keeps its mirror of the log (default: beside a SQLite database, or
    /// data/reports.db for PostgreSQL).
    #[arg(long, global = true, env = "ZOUFANG_REPORTS_DB")]
    reports_db: Option<PathBuf>,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Serve the sync API.
    Serve {
        #[arg(long, default_value = "127.0.0.1:8470", env = "ZOUFANG_LISTEN")]
        listen: String,
        /// Where photo files (一户一档 pages) are kept: a directory, or `s3://bucket[/prefix]` for any
        /// S3-compatible store (endpoint and keys from AWS_ENDPOINT, AWS_REGION, AWS_ACCESS_KEY_ID,
        /// AWS_SECRET_ACCESS_KEY).
        #[arg(long, default_value = "data/blobs", env = "ZOUFANG_BLOBS")]
        blobs: String,
        /// Load the demo county into an empty database and print an enrolment code for its first village.
        #[arg(long)]
        demo: bool,
        /// Reverse proxies in front of the server whose X-Forwarded-For names the client (comma-separated
        /// addresses or networks, e.g. 127.0.0.1 or 10.0.0.0/8). Guessing of enrolment codes and passwords
        /// is then counted per client, not per proxy.
        #[arg(long, default_value = "", env = "ZOUFANG_TRUSTED_PROXIES")]
        trusted_proxies: String,
        #[command(flatten)]
        tls: TlsArgs,
    },
    /// Administer the server database.
    Admin {
        #[command(subcommand)]
        cmd: Admin,
    },
}

/// How the server speaks TLS. Listening beyond loopback without a certificate, it makes its own (kept
/// beside the database) and devices pin it at enrolment.
#[derive(clap::Args)]
struct TlsArgs {
    /// The certificate chain (PEM) to serve, e.g. from the county's CA or Let's Encrypt.
    #[arg(long, env = "ZOUFANG_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// Its private key (PEM).
    #[arg(long, env = "ZOUFANG_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Where the server keeps its own certificate (default: `tls/` beside a SQLite database, or
    /// `data/tls` with PostgreSQL).
    #[arg(long, env = "ZOUFANG_TLS_DIR")]
    tls_dir: Option<PathBuf>,
    /// The address devices use to reach this server, as it goes into enrolment codes (default: the
    /// address it listens on, or the one it reaches the network from).
    #[arg(long, env = "ZOUFANG_PUBLIC_URL")]
    public_url: Option<String>,
    /// Serve plain, unencrypted HTTP beyond loopback. Household data then crosses the network in
    /// clear: only behind a TLS proxy on a trusted network.
    #[arg(long = "insecure-plain-http")]
    insecure_plain_http: bool,
}

#[derive(Subcommand)]
enum Admin {
    /// Issue a one-time enrolment code for a device.
    Enrol {
        /// village:<村id> | township:<9位区划代码> | county:<6位区划代码>
        #[arg(long)]
        scope: String,
        /// The device's name, e.g. "花桥村 张伟的平板".
        #[arg(long)]
        name: String,
        /// work_team | first_secretary | township | inspector | county | admin (default: by the scope's level).
        #[arg(long)]
        role: Option<String>,
        #[arg(long, default_value_t = 168)]
        ttl_hours: u32,
        /// How long the device's token lasts once enrolled.
        #[arg(long, default_value_t = zoufang_server::TOKEN_DAYS)]
        token_days: u32,
        /// Also print the enrolment QR code (server address, code, certificate fingerprint, scope and
        /// role) in the terminal.
        #[arg(long)]
        qr: bool,
        /// Write the QR code as a PNG (for printing) …
        #[arg(long)]
        qr_png: Option<PathBuf>,
        /// … or as an SVG.
        #[arg(long)]
        qr_svg: Option<PathBuf>,
    },
    /// Add a user who enrols devices by signing in. The password is read from ZOUFANG_PASSWORD or stdin.
    UserAdd {
        #[arg(long)]
        login: String,
        #[arg(long)]
        name: String,
        /// work_team | first_secretary | township | inspector | county | admin
        #[arg(long)]
        role: String,
        #[arg(long)]
        scope: String,
    },
    /// List users.
    Users {
        #[arg(long)]
        json: bool,
    },
    /// Disable a user; their devices are revoked for handover.
    UserDisable { login: String },
    /// List enrolled devices.
    Devices {
        #[arg(long)]
        json: bool,
    },
    /// Stop a device. By default it may still upload what it holds, then wipes itself; with --lost
    /// (lost or stolen) it is refused outright and wipes itself if it ever calls again.
    Revoke {
        device: Uuid,
        #[arg(long)]
        lost: bool,
    },
    /// List villages with their ids and codes (to build scopes).
    Villages {
        #[arg(long)]
        json: bool,
    },
    /// Load the demo county (demo size, or a full county of 30,000 households).
    SeedDemo {
        #[arg(long, default_value = "demo")]
        size: String,
    },
    /// Counts of what the server holds.
    Stats,
    /// An office report over everything the server holds, as JSON (the same figures as the app's and
    /// `zoufang-cli report`): needs | coverage | presence | population | income | ledger | inspections | assessment.
    Report { kind: String },
    /// Check every device's history chain against what the database holds (exit 1 if any is broken).
    Audit {
        #[arg(long)]
        json: bool,
    },
    /// Write a consistent copy of the database to FILE while the server keeps serving (never overwrites).
    /// Photo files are backed up by copying the photo directory: each file is written once, under its hash.
    /// SQLite only: back PostgreSQL up with its own tools (pg_dump, base backups and WAL archiving).
    Backup { file: std::path::PathBuf },
}

/// The server's database, by the backend its address names.
enum Db {
    Sqlite(Arc<SqliteStorage>),
    Postgres(Arc<PgStorage>),
}

impl Db {
    fn is_url(db: &str) -> bool {
        db.starts_with("postgres://") || db.starts_with("postgresql://")
    }

    fn open(db: &str) -> Result<Db> {
        if Self::is_url(db) {
            return Ok(Db::Postgres(Arc::new(PgStorage::open(db)?)));
        }
        let path = std::path::Path::new(db);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("创建目录 {} 失败", dir.display()))?;
        }
        let s = SqliteStorage::open(path).with_context(|| format!("打开服务器数据库 {} 失败", path.display()))?;
        Ok(Db::Sqlite(Arc::new(s)))
    }

    fn storage(&self) -> Storage {
        match self {
            Db::Sqlite(s) => Storage::from(s.clone()),
            Db::Postgres(s) => Storage::from(s.clone()),
        }
    }

    /// A path beside the database (a SQLite file's directory; `data/` for PostgreSQL).
    fn beside(db: &str, name: &str) -> PathBuf {
        if Self::is_url(db) {
            return PathBuf::from("data").join(name);
        }
        std::path::Path::new(db)
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."))
            .join(name)
    }

    /// Names the database for people (a PostgreSQL URL without its password).
    fn describe(db: &str) -> String {
        if Self::is_url(db) {
            zoufang_server::pg::redact(db)
        } else {
            db.to_string()
        }
    }
}

/// Loads the demo county; with a photo store, also photographed 一户一档 pages for its first village.
fn seed(s: &Storage, size: &str, blobs: Option<&zoufang_server::BlobStore>) -> Result<usize> {
    let today = chrono::Local::now().date_naive();
    let size = match size {
        "demo" => zoufang_demo::Size::demo(today),
        "county" => zoufang_demo::Size::county(today),
        other => bail!("未知的规模 {other}：可选 demo 或 county"),
    };
    let mut county = zoufang_demo::county(2026, size);
    let files = match blobs {
        Some(_) => zoufang_demo::archive::add_archive(&mut county, 8),
        None => Vec::new(),
    };
    if let Some(blobs) = blobs {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        for f in files {
            rt.block_on(blobs.put_whole(&f.hash, f.bytes)).map_err(|e| anyhow::anyhow!("保存演示照片失败：{e}"))?;
        }
    }
    let device = Uuid::from_u128(0x5eed);
    let changes = county.to_changes(device);
    Ok(s.ingest_trusted("演示数据导入", &changes)?)
}

/// The enrolment offer for a new code: how devices reach this server (as `serve` last recorded it),
/// the certificate to pin, and where the device will work.
fn offer_for(storage: &Storage, scope: &Scope, role: Role, code: &str) -> Result<zoufang_sync::EnrolmentOffer> {
    let Some(server) = storage.meta(zoufang_server::storage::PUBLIC_URL)? else {
        bail!("还不知道设备应连接的地址：请先运行一次 serve（它会记下自己的地址和证书指纹），或用 serve --public-url 指定");
    };
    let pin = storage.meta(zoufang_server::storage::TLS_PIN)?.filter(|p| !p.is_empty());
    let villages = storage.villages()?;
    let place = match scope {
        Scope::Village(v) => villages.iter().find(|x| x.id == *v).map(|x| x.name.clone()),
        Scope::Township(t) => villages.iter().find(|x| x.code.starts_with(t.as_str())).map(|x| x.township.clone()),
        Scope::County(_) => None,
    }
    .filter(|n| !n.is_empty())
    .unwrap_or_else(|| scope.to_string());
    Ok(zoufang_sync::EnrolmentOffer { server, code: code.to_string(), pin, place, role })
}

fn main() -> Result<()> {
    tracing_subscriber::fmt().with_target(false).init();
    let cli = Cli::parse();
    let db = Db::open(&cli.db)?;
    let storage = db.storage();
    match cli.cmd {
        Cmd::Serve { listen, blobs, demo, trusted_proxies, tls } => {
            let mut options =
                zoufang_server::ApiOptions::with_trusted_proxies(&trusted_proxies).map_err(anyhow::Error::msg)?;
            let addr = std::net::ToSocketAddrs::to_socket_addrs(&listen)
                .with_context(|| format!("监听地址 {listen} 无效"))?
                .next()
                .with_context(|| format!("监听地址 {listen} 无效"))?;
            let own_dir = tls.tls_dir.clone().unwrap_or_else(|| Db::beside(&cli.db, "tls"));
            let given = tls.tls_cert.as_deref().zip(tls.tls_key.as_deref());
            let server_tls = zoufang_server::tls::plan(addr, given, &own_dir, tls.insecure_plain_http)?;
            let scheme = if server_tls.is_some() { "https" } else { "http" };
            let public_url = match &tls.public_url {
                Some(u) => u.trim_end_matches('/').to_string(),
                None => {
                    let ip = if addr.ip().is_unspecified() {
                        zoufang_server::tls::outward_ip().unwrap_or(std::net::Ipv4Addr::LOCALHOST.into())
                    } else {
                        addr.ip()
                    };
                    format!("{scheme}://{}", std::net::SocketAddr::new(ip, addr.port()))
                }
            };
            storage.set_meta(zoufang_server::storage::PUBLIC_URL, &public_url)?;
            let pin = server_tls.as_ref().map(|t| t.fingerprint.clone()).unwrap_or_default();
            storage.set_meta(zoufang_server::storage::TLS_PIN, &pin)?;
            options.tls = server_tls.as_ref().map(|t| t.config.clone());
            let blobs = zoufang_server::BlobStore::from_config(&blobs)
                .map_err(|e| anyhow::anyhow!("照片存储 {blobs} 无法使用：{e}"))?;
            if demo && storage.stats()?.villages == 0 {
                let n = seed(&storage, "demo", Some(&blobs))?;
                println!("已载入演示数据：{n} 条字段记录");
            }
            // Everything that reads the database happens here, outside the runtime: the PostgreSQL
            // client blocks, and blocking calls belong on the blocking pool once serving.
            let st = storage.stats()?;
            let demo_code = match storage.villages()?.first().filter(|_| demo) {
                Some(v) => {
                    let scope = Scope::Village(v.id);
                    let code = storage.create_enrol_code(&format!("{} 演示平板", v.name), &scope, 168)?;
                    Some((v.name.clone(), offer_for(&storage, &scope, Role::WorkTeam, &code)?))
                }
                None => None,
            };
            let rt = tokio::runtime::Runtime::new()?;
            rt.block_on(async move {
                let listener =
                    tokio::net::TcpListener::bind(addr).await.with_context(|| format!("无法监听 {listen}"))?;
                let bound = listener.local_addr()?;
                println!("走访同步服务已启动：{scheme}://{bound}（设备使用 {public_url}）");
                match &server_tls {
                    Some(t) => {
                        let whose = if t.own { "本服务器自签名证书" } else { "证书" };
                        println!("  {whose} {}", t.cert_path.display());
                        println!("  证书 SHA-256 指纹：{}", zoufang_server::tls::display_fingerprint(&t.fingerprint));
                    }
                    None if bound.ip().is_loopback() => println!("  仅本机可访问（明文 HTTP，仅供本机或同机的 TLS 代理使用）"),
                    None => eprintln!(
                        "  警告：以明文 HTTP 对外服务（--insecure-plain-http）。户数据将不加密地经过网络，只应在可信网络中、由 TLS 代理转发时使用"
                    ),
                }
                println!("  数据库 {}，照片存储 {}", Db::describe(&cli.db), blobs.describe);
                println!(
                    "  {} 个村，{} 户，{} 名成员，{} 条走访记录",
                    st.villages, st.households, st.members, st.visits
                );
                if let Some((village, offer)) = demo_code {
                    println!("  演示注册码（{village}，7 天内有效）：{}", offer.code);
                    println!("  注册内容（可粘贴到应用的「注册本机」）：{}", offer.to_text());
                    println!("  试一试：./target/release/zoufang-cli --db data/device.db init --offer '{}'", offer.to_text());
                }
                println!("  按 Ctrl-C 停止");
                zoufang_server::serve(listener, storage, blobs, options, async {
                    let _ = tokio::signal::ctrl_c().await;
                })
                .await?;
                Ok::<_, anyhow::Error>(())
            })?;
        }
        Cmd::Admin { cmd } => match cmd {
            Admin::Enrol { scope, name, role, ttl_hours, token_days, qr, qr_png, qr_svg } => {
                let scope = Scope::parse(&scope).map_err(|e| anyhow::anyhow!("范围无效：{e}"))?;
                let role = match role {
                    Some(r) => Role::parse(&r).map_err(|e| anyhow::anyhow!("{e}"))?,
                    None => match scope {
                        Scope::Village(_) => Role::WorkTeam,
                        Scope::Township(_) => Role::Township,
                        Scope::County(_) => Role::County,
                    },
                };
                let code = storage.create_enrol_code_for(&name, &scope, role, ttl_hours, token_days)?;
                println!("{code}");
                eprintln!("注册码已生成：设备「{name}」，范围 {scope}，{ttl_hours} 小时内有效，只能使用一次。");
                if qr || qr_png.is_some() || qr_svg.is_some() {
                    let offer = offer_for(&storage, &scope, role, &code)?;
                    let text = offer.to_text();
                    if qr {
                        eprintln!("{}", zoufang_media::qr::terminal(&text)?);
                        eprintln!("用新平板的「注册本机 › 扫描二维码」扫描上面的二维码，或粘贴：\n{text}");
                    }
                    if let Some(path) = qr_png {
                        std::fs::write(&path, zoufang_media::qr::png(&text, 8)?)
                            .with_context(|| format!("无法写入 {}", path.display()))?;
                        eprintln!("二维码图片：{}", path.display());
                    }
                    if let Some(path) = qr_svg {
                        std::fs::write(&path, zoufang_media::qr::svg(&text, 600)?)
                            .with_context(|| format!("无法写入 {}", path.display()))?;
                        eprintln!("二维码图片：{}", path.display());
                    }
                }
            }
            Admin::UserAdd { login, name, role, scope } => {
                let role = Role::parse(&role).map_err(|e| anyhow::anyhow!("{e}"))?;
                let scope = Scope::parse(&scope).map_err(|e| anyhow::anyhow!("范围无效：{e}"))?;
                let password = match std::env::var("ZOUFANG_PASSWORD") {
                    Ok(p) => p,
                    Err(_) => {
                        eprintln!(
                            "请输入 {login} 的密码（至少 {} 位），回车结束：",
                            zoufang_server::tokens::MIN_PASSWORD
                        );
                        let mut line = String::new();
                        std::io::stdin().read_line(&mut line)?;
                        line.trim_end_matches(['\r', '\n']).to_string()
                    }
                };
                let id = storage.create_user(&login, &name, role, &scope, &password)?;
                println!("{id}");
                eprintln!("用户 {login}（{name}，{}，{scope}）已添加", role.label());
            }
            Admin::Users { json } => {
                let us = storage.users()?;
                if json {
                    println!("{}", serde_json::to_string_pretty(&us)?);
                } else {
                    for u in us {
                        let state = if u.disabled_at.is_some() { "已停用" } else { "使用中" };
                        println!("{}  {}  {}  {}  {state}", u.login, u.name, u.role.label(), u.scope);
                    }
                }
            }
            Admin::UserDisable { login } => {
                if storage.disable_user(&login)? {
                    println!("用户 {login} 已停用，其设备将在上交数据后清除");
                } else {
                    bail!("没有找到用户 {login}");
                }
            }
            Admin::Devices { json } => {
                let ds = storage.devices()?;
                if json {
                    println!("{}", serde_json::to_string_pretty(&ds)?);
                } else {
                    for d in ds {
                        let state = match (d.revoke_mode, &d.handed_in_at) {
                            (None, _) => "使用中",
                            (Some(RevokeMode::Handover), None) => "已停用，待上交数据",
                            (Some(RevokeMode::Handover), Some(_)) => "已停用，数据已上交",
                            (Some(RevokeMode::Lost), _) => "已挂失停用",
                        };
                        println!(
                            "{}  {}  {}  {}  {}  最近同步 {}",
                            d.id,
                            d.name,
                            d.role.label(),
                            d.scope,
                            state,
                            d.last_seen_at.unwrap_or_else(|| "从未".into())
                        );
                    }
                }
            }
            Admin::Revoke { device, lost } => {
                let mode = if lost { RevokeMode::Lost } else { RevokeMode::Handover };
                if storage.revoke(device, mode)? {
                    match mode {
                        RevokeMode::Handover => {
                            println!("设备 {device} 已停用：下次连接时上交未同步的数据，然后清除本机数据")
                        }
                        RevokeMode::Lost => {
                            println!("设备 {device} 已挂失停用：不再接收它的任何数据，它再连接时将清除本机数据")
                        }
                    }
                } else {
                    bail!("没有找到使用中的设备 {device}");
                }
            }
            Admin::Villages { json } => {
                let vs = storage.villages()?;
                if json {
                    println!("{}", serde_json::to_string_pretty(&vs)?);
                } else {
                    for v in vs {
                        println!("{}  {}  {} {}  {} 户", v.id, v.code, v.township, v.name, v.households);
                    }
                }
            }
            Admin::SeedDemo { size } => {
                let t = std::time::Instant::now();
                let n = seed(&storage, &size, None)?;
                println!("已载入 {n} 条字段记录，用时 {:.1} 秒", t.elapsed().as_secs_f64());
            }
            Admin::Report { kind } => {
                let mirror = match (&cli.reports_db, &db) {
                    (Some(p), _) => p.clone(),
                    (None, Db::Sqlite(_)) => zoufang_server::reports::mirror_path(std::path::Path::new(&cli.db)),
                    (None, Db::Postgres(_)) => PathBuf::from("data/reports.db"),
                };
                if let Some(dir) = mirror.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).with_context(|| format!("创建目录 {} 失败", dir.display()))?;
                }
                let store = zoufang_server::reports::refresh_mirror(&storage, &mirror)?;
                let today = chrono::Local::now().date_naive();
                println!("{}", serde_json::to_string_pretty(&zoufang_server::reports::report(&store, &kind, today)?)?);
            }
            Admin::Stats => println!("{}", serde_json::to_string_pretty(&storage.stats()?)?),
            Admin::Backup { file } => {
                let Db::Sqlite(sqlite) = &db else {
                    bail!("PostgreSQL 数据库请用 pg_dump 或基础备份加 WAL 归档备份（见 docs/deploy-province.md）");
                };
                let t = std::time::Instant::now();
                sqlite.backup_to(&file)?;
                let mb = std::fs::metadata(&file).map(|m| m.len() as f64 / 1e6).unwrap_or(0.0);
                println!("已备份到 {}（{mb:.1} MB，用时 {:.1} 秒）", file.display(), t.elapsed().as_secs_f64());
            }
            Admin::Audit { json } => {
                let reports = storage.audit()?;
                if json {
                    println!("{}", serde_json::to_string_pretty(&reports)?);
                } else {
                    for r in &reports {
                        match &r.problem {
                            None => println!("完整  {}  {}  {} 条修改", r.device, r.name, r.checked),
                            Some(p) => println!("异常  {}  {}  {p}", r.device, r.name),
                        }
                    }
                    println!("共检查 {} 台设备", reports.len());
                }
                if reports.iter().any(|r| r.problem.is_some()) {
                    bail!("有设备的历史记录不完整或被改动");
                }
            }
        },
    }
    Ok(())
}
