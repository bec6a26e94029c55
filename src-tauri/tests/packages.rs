//! The packages as a county's IT staff use them, on the machine the test runs on (as root; CI does):
//! install the server and app `.deb` files made by `scripts/package.sh`, check what they put where,
//! start the installed server from its installed configuration as its own user (without systemd),
//! enrol the installed app in a real window over HTTPS from the server's QR code, sync, upgrade the
//! server package over itself keeping the data, then remove both (data kept) and purge the server.

#[path = "e2e/desktop.rs"]
mod desktop;
#[path = "e2e/webdriver.rs"]
mod webdriver;

use desktop::{driver, free_port, xvfb, Proc, ONE_AT_A_TIME};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;
use webdriver::Session;

const LONG: Duration = Duration::from_secs(90);

fn ok<T>(r: Result<T, String>) -> T {
    r.unwrap_or_else(|e| panic!("{e}"))
}

/// Runs a command and returns its standard output; panics with its output when it fails.
fn run(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The two packages `scripts/package.sh` left in `dist/`.
fn packages() -> (PathBuf, PathBuf) {
    let dist = Path::new(env!("CARGO_MANIFEST_DIR")).join("../dist");
    let find = |prefix: &str| {
        std::fs::read_dir(&dist)
            .ok()
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .find(|p| {
                p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with(prefix) && n.ends_with(".deb"))
            })
            .unwrap_or_else(|| {
                panic!(
                    "no {prefix}*.deb in {}: `scripts/package.sh debug` builds them (make test does)",
                    dist.display()
                )
            })
    };
    (find("zoufang-server_"), find("zoufang_"))
}

/// Purges both packages when the test ends, however it ends.
struct Installed;
impl Drop for Installed {
    fn drop(&mut self) {
        let _ = Command::new("dpkg").args(["--purge", "zoufang", "zoufang-server"]).output();
    }
}

/// `zoufang-admin serve` on all addresses (so that the server makes its own certificate), read until
/// it prints its fingerprint.
fn serve(port: u16) -> (Proc, String) {
    let mut child = Command::new("/usr/bin/zoufang-admin")
        .args(["serve", "--listen", &format!("0.0.0.0:{port}")])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .expect("start the installed server");
    let (banner, fp) = zoufang_scenarios::server_banner(&mut child);
    let fp = fp.unwrap_or_else(|| panic!("the installed server printed no fingerprint:\n{banner}"));
    (Proc(child), fp)
}

use std::os::unix::process::CommandExt;

#[test]
fn the_packages_install_serve_enrol_upgrade_and_remove() {
    let uid = run("id", &["-u"]);
    assert_eq!(uid.trim(), "0", "the package test installs packages: run `make test` as root (CI does)");
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let (server_deb, app_deb) = packages();
    let _ = Command::new("dpkg").args(["--purge", "zoufang", "zoufang-server"]).output();
    let _installed = Installed;
    run("dpkg", &["-i", server_deb.to_str().unwrap(), app_deb.to_str().unwrap()]);

    // What the packages put where.
    for f in ["/usr/bin/zoufang-server", "/usr/bin/zoufang-admin", "/usr/bin/zoufang-app", "/etc/zoufang/zoufang.conf"]
    {
        assert!(Path::new(f).exists(), "{f} is missing");
    }
    let unit = ["/lib/systemd/system/zoufang.service", "/usr/lib/systemd/system/zoufang.service"];
    assert!(unit.iter().any(|u| Path::new(u).exists()), "the systemd unit is missing");
    assert_eq!(run("stat", &["-c", "%U:%G %a", "/etc/zoufang/zoufang.conf"]).trim(), "root:zoufang 640");
    assert_eq!(run("stat", &["-c", "%U %a", "/var/lib/zoufang"]).trim(), "zoufang 750");
    let desktop = std::fs::read_to_string("/usr/share/applications/zoufang.desktop").expect("the menu entry");
    assert!(desktop.contains("Name=走访") && desktop.contains("Exec=zoufang-app"), "{desktop}");
    let icons = run("find", &["/usr/share/icons/hicolor", "-name", "zoufang-app.png"]);
    assert!(!icons.trim().is_empty(), "no icon installed");
    let depends = run("dpkg-query", &["-W", "-f=${Depends}", "zoufang"]);
    assert!(depends.contains("libwebkit2gtk-4.1-0") && depends.contains("libgtk-3-0"), "{depends}");

    // The installed server, from its installed configuration, as its own user, with a demo county.
    run("/usr/bin/zoufang-admin", &["admin", "seed-demo"]);
    let port = free_port();
    let (server, fingerprint) = serve(port);
    assert!(Path::new("/var/lib/zoufang/tls/server.crt").exists(), "the server made its own certificate");
    assert_eq!(run("stat", &["-c", "%U %a", "/var/lib/zoufang/tls/server.key"]).trim(), "zoufang 600");
    let villages: serde_json::Value =
        serde_json::from_str(&run("/usr/bin/zoufang-admin", &["admin", "villages", "--json"])).expect("villages");
    let village = villages[0]["id"].as_str().expect("a village").to_string();
    let qr = tempfile::tempdir().unwrap();
    run("chmod", &["777", qr.path().to_str().unwrap()]);
    let png = qr.path().join("code.png");
    run(
        "/usr/bin/zoufang-admin",
        &[
            "admin",
            "enrol",
            "--scope",
            &format!("village:{village}"),
            "--name",
            "红阳村平板",
            "--qr-png",
            png.to_str().unwrap(),
        ],
    );
    let offer =
        zoufang_sync::EnrolmentOffer::parse(&zoufang_media::qr::read(&std::fs::read(&png).unwrap()).unwrap()).unwrap();
    assert_eq!(offer.pin.as_deref(), Some(fingerprint.as_str()));
    // Test traffic stays on this machine: the same server, reached over loopback.
    let local = zoufang_sync::EnrolmentOffer { server: format!("https://127.0.0.1:{port}"), ..offer };

    // The installed app, in a real window: enrol by pasting the QR code's content, over HTTPS.
    let display = xvfb();
    let data = tempfile::tempdir().unwrap();
    let (_driver, url) = driver(&display, &[("ZOUFANG_DATA_DIR", data.path().display().to_string())]);
    let s = ok(Session::start(&url, "/usr/bin/zoufang-app"));
    ok(s.wait("[data-testid=unlock-submit]", LONG));
    ok(s.fill("input[name=secret]", "红阳村2026"));
    ok(s.fill("input[name=again]", "红阳村2026"));
    ok(s.click("[data-testid=unlock-submit]"));
    ok(s.wait("[data-testid=offer-text] textarea", LONG));
    ok(s.fill("[data-testid=offer-text] textarea", &local.to_text()));
    ok(s.click("[data-testid=offer-paste]"));
    ok(s.wait("[data-testid=offer]", LONG));
    let grouped = fingerprint
        .to_uppercase()
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    ok(s.wait_text(&grouped, LONG));
    ok(s.fill("input[name=device_name]", "红阳村平板"));
    ok(s.click("[data-testid=enrol-submit]"));
    ok(s.fill("input[name=operator]", "张伟"));
    ok(s.click("[data-testid=operator-save]"));
    ok(s.wait("[data-household]", LONG));

    // Upgrade the server package over itself: the data and the certificate stay.
    drop(server);
    run("dpkg", &["-i", server_deb.to_str().unwrap()]);
    assert!(Path::new("/var/lib/zoufang/server.db").exists(), "the upgrade kept the database");
    let (_server, again) = serve(port);
    assert_eq!(again, fingerprint, "the upgrade kept the server's certificate");
    ok(s.navigate_hash("#/sync"));
    ok(s.click("[data-testid=sync-now]"));
    ok(s.wait_text("已加密，证书指纹", LONG));
    ok(s.wait_text("可以连接", LONG));
    s.quit();

    // Removal keeps the data; purging removes it and the service's user.
    drop(_server);
    run("dpkg", &["-r", "zoufang", "zoufang-server"]);
    assert!(!Path::new("/usr/bin/zoufang-server").exists() && !Path::new("/usr/bin/zoufang-app").exists());
    assert!(Path::new("/var/lib/zoufang/server.db").exists(), "removal keeps the data");
    run("dpkg", &["--purge", "zoufang-server"]);
    assert!(!Path::new("/var/lib/zoufang").exists(), "purging removes the data");
    assert!(Command::new("id").arg("zoufang").output().map(|o| !o.status.success()).unwrap_or(true), "and the user");
}
