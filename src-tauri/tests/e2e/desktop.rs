//! The desktop the end-to-end tests run the app on: Xvfb, tauri-driver with WebKitWebDriver, and
//! processes that die with the test.

#![allow(dead_code)]

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn which(name: &str) -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> =
        std::env::var_os("PATH").map(|p| std::env::split_paths(&p).collect()).unwrap_or_default();
    if let Some(home) = std::env::var_os("HOME") {
        dirs.push(PathBuf::from(home).join(".cargo/bin"));
    }
    dirs.into_iter().map(|d| d.join(name)).find(|p| p.is_file())
}

pub fn tool(name: &str) -> PathBuf {
    which(name).unwrap_or_else(|| panic!("{name} not found: run scripts/setup.sh (it installs the end-to-end tools)"))
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

/// Kills the child and everything it started (its process group) when dropped.
pub struct Proc(pub Child);
impl Drop for Proc {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg("--").arg(format!("-{}", self.0.id())).status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub struct Display {
    _xvfb: Proc,
    pub name: String,
}

/// The tests share the machine's two cores: one app window at a time keeps the timings honest.
pub static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
static NEXT_DISPLAY: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

pub fn xvfb() -> Display {
    let n = 90 + (std::process::id() % 50) * 4 + NEXT_DISPLAY.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let name = format!(":{n}");
    let child = Command::new(tool("Xvfb"))
        .args([name.as_str(), "-screen", "0", "1280x800x24", "-nolisten", "tcp"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start Xvfb");
    std::thread::sleep(Duration::from_millis(800));
    Display { _xvfb: Proc(child), name }
}

/// tauri-driver with the app's environment (data directory, server to suggest, enrolment code).
pub fn driver(display: &Display, env: &[(&str, String)]) -> (Proc, String) {
    driver_logged(display, env, None)
}

/// The same, with the driver's and the app's output written to `log`.
pub fn driver_logged(display: &Display, env: &[(&str, String)], log: Option<&std::path::Path>) -> (Proc, String) {
    let port = free_port();
    let native = free_port();
    let webkit = tool("WebKitWebDriver");
    let mut cmd = Command::new(tool("tauri-driver"));
    cmd.args(["--port", &port.to_string(), "--native-port", &native.to_string()])
        .arg("--native-driver")
        .arg(&webkit)
        .env("DISPLAY", &display.name)
        .env("ZOUFANG_SYNC_INTERVAL_SECS", "3600")
        .env("WEBKIT_DISABLE_DMABUF_RENDERER", "1")
        .env("LIBGL_ALWAYS_SOFTWARE", "1")
        .env("LANG", "zh_CN.UTF-8")
        .process_group(0)
        .stdout(Stdio::null());
    // ZOUFANG_E2E_LOG=<file>: the driver's and the app's output, for looking into a failure.
    let log = log.map(|p| p.as_os_str().to_owned()).or_else(|| std::env::var_os("ZOUFANG_E2E_LOG"));
    match log.and_then(|p| std::fs::File::create(p).ok()) {
        Some(f) => cmd.stderr(f),
        None => cmd.stderr(Stdio::null()),
    };
    for (k, v) in env {
        cmd.env(k, v);
    }
    let child = Proc(cmd.spawn().expect("start tauri-driver"));
    let url = format!("http://127.0.0.1:{port}");
    let end = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < end, "tauri-driver did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    (child, url)
}
