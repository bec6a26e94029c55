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
    },
    /// Administer the server database.
    Admin {
        #[command(subcommand)]
        cmd: Admin,
    },
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
    /// `zoufang-cli report`): needs | coverage | presence | population | income | ledger | inspections.
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

    fn storage(&self) -> Arc<dyn Storage> {
        match self {
            Db::Sqlite(s) => s.clone(),
            Db::Postgres(s) => s.clone(),
        }
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
fn seed(s: &dyn Storage, size: &str, blobs: Option<&zoufang_server::BlobStore>) -> Result<usize> {
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

fn main() -> Result<()> {
    tracing_subscriber::fmt().with_target(false).init();
    let cli = Cli::parse();
    let db = Db::open(&cli.db)?;
    let storage = db.storage();
    match cli.cmd {
        Cmd::Serve { listen, blobs, demo, trusted_proxies } => {
            let options =
                zoufang_server::ApiOptions::with_trusted_proxies(&trusted_proxies).map_err(anyhow::Error::msg)?;
            let blobs = zoufang_server::BlobStore::from_config(&blobs)
                .map_err(|e| anyhow::anyhow!("照片存储 {blobs} 无法使用：{e}"))?;
            if demo && storage.stats()?.villages == 0 {
                let n = seed(&*storage, "demo", Some(&blobs))?;
                println!("已载入演示数据：{n} 条字段记录");
            }
            // Everything that reads the database happens here, outside the runtime: the PostgreSQL
            // client blocks, and blocking calls belong on the blocking pool once serving.
            let st = storage.stats()?;
            let demo_code = match storage.villages()?.first().filter(|_| demo) {
                Some(v) => Some((
                    v.name.clone(),
                    storage.create_enrol_code(&format!("{} 演示平板", v.name), &Scope::Village(v.id), 168)?,
                )),
                None => None,
            };
            let rt = tokio::runtime::Runtime::new()?;
            rt.block_on(async move {
                let listener =
                    tokio::net::TcpListener::bind(&listen).await.with_context(|| format!("无法监听 {listen}"))?;
                let addr = listener.local_addr()?;
                println!("走访同步服务已启动：http://{addr}");
                println!("  数据库 {}，照片存储 {}", Db::describe(&cli.db), blobs.describe);
                println!(
                    "  {} 个村，{} 户，{} 名成员，{} 条走访记录",
                    st.villages, st.households, st.members, st.visits
                );
                if let Some((village, code)) = demo_code {
                    println!("  演示注册码（{village}，7 天内有效）：{code}");
                    println!("  试一试：./target/release/zoufang-cli --db data/device.db init --server http://{addr} --code {code}");
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
            Admin::Enrol { scope, name, role, ttl_hours, token_days } => {
                let scope = Scope::parse(&scope).map_err(|e| anyhow::anyhow!("范围无效：{e}"))?;
                let code = match role {
                    Some(r) => {
                        let role = Role::parse(&r).map_err(|e| anyhow::anyhow!("{e}"))?;
                        storage.create_enrol_code_for(&name, &scope, role, ttl_hours, token_days)?
                    }
                    None => storage.create_enrol_code(&name, &scope, ttl_hours)?,
                };
                println!("{code}");
                eprintln!("注册码已生成：设备「{name}」，范围 {scope}，{ttl_hours} 小时内有效，只能使用一次。");
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
                let n = seed(&*storage, &size, None)?;
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
                let store = zoufang_server::reports::refresh_mirror(&*storage, &mirror)?;
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
