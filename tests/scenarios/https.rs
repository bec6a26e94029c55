//! HTTPS end to end: a server with a self-signed certificate, devices that enrol from its QR code
//! (certificate pinned) and sync records and photos over TLS; a wrong pin, an expired certificate and
//! an unpinned self-signed server refused before anything is sent; plain HTTP beyond this machine
//! refused; the server binary making its own certificate when it listens beyond loopback.

use std::process::{Child, Command, Stdio};
use uuid::Uuid;
use zoufang_client::tls::CertRefusal;
use zoufang_client::{Client, SyncError};
use zoufang_model::{ArchiveKind, Role, Scope};
use zoufang_scenarios::{cli_binary, cli_on, open_device, server_banner, TestServer};
use zoufang_store::{HouseholdQuery, NewDocument, PhotoTarget};
use zoufang_sync::EnrolmentOffer;

fn certificate_refusal(e: SyncError) -> CertRefusal {
    match e {
        SyncError::Certificate(r) => r,
        other => panic!("expected the certificate to be refused: {other}"),
    }
}

#[test]
fn devices_enrol_from_the_qr_code_and_sync_records_and_photos_over_https() {
    let dir = tempfile::tempdir().unwrap();
    let (server, pin) = TestServer::start_tls(dir.path(), None);
    assert!(server.url.starts_with("https://"));
    let villages = server.seed_small();
    let scope = Scope::Village(villages[0]);

    // The township's QR code, as a picture, read back on the new tablet and used as it says.
    let code = server.storage.create_enrol_code_for("新平板", &scope, Role::WorkTeam, 1, 30).unwrap();
    let offer = EnrolmentOffer {
        server: server.url.clone(),
        code,
        pin: Some(pin.clone()),
        place: "红阳村".into(),
        role: Role::WorkTeam,
    };
    let png = zoufang_media::qr::png(&offer.to_text(), 6).unwrap();
    let scanned = EnrolmentOffer::parse(&zoufang_media::qr::read(&png).unwrap()).unwrap();
    assert_eq!(scanned, offer);
    let mut a = open_device(&dir.path().join("a.db"));
    let e = zoufang_client::enrol_offer(&mut a, &scanned, "新平板").unwrap();
    assert_eq!(e.cert_pin.as_deref(), Some(pin.as_str()), "the pin is kept for every later sync");
    zoufang_client::sync(&mut a).unwrap();
    let hs = a.households(&HouseholdQuery::default()).unwrap();
    assert_eq!(hs.len(), 30);

    // Photos over TLS: one tablet uploads a page, another gets its thumbnail and the full image.
    let doc = NewDocument { household_id: hs[0].id, kind: ArchiveKind::Application, title: None, note: None };
    let doc = a.create_document(&doc, None).unwrap();
    let jpeg = zoufang_media::sample::camera_jpeg(2000, 1500, 3, 90, &Default::default());
    let page = a.import_photo(&jpeg, PhotoTarget::ArchiveDocument(doc), Some("李芳")).unwrap().photo;
    assert_eq!(zoufang_client::sync(&mut a).unwrap().photos.uploaded, 2);
    let mut b = server.device(&dir.path().join("b.db"), "乙平板", scope);
    let r = zoufang_client::sync(&mut b).unwrap();
    assert!(r.photos.fetched >= 1, "the thumbnail came over TLS");
    let full = zoufang_client::fetch_photo(&b.enrolment().unwrap().unwrap(), &page.hash).unwrap();
    assert_eq!(full, a.blob(&page.hash).unwrap().unwrap());
    assert!(!Client::enrolled(&a.enrolment().unwrap().unwrap()).is_plain_http());
}

#[test]
fn a_wrong_pin_an_expired_certificate_and_an_unpinned_server_are_refused_before_anything_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let (server, pin) = TestServer::start_tls(dir.path(), None);
    let villages = server.seed_small();
    let devices_before = server.storage.devices().unwrap().len();
    let code = server.storage.create_enrol_code("平板", &Scope::Village(villages[0]), 1).unwrap();

    // Another server's fingerprint (someone in between, or the wrong server).
    let other = "0".repeat(64);
    let r = certificate_refusal(Client::pinned(&server.url, Some(&other)).health().unwrap_err());
    assert!(matches!(r, CertRefusal::PinMismatch { .. }));
    assert!(r.to_string().contains("127.0.0.1") && r.to_string().contains("没有发送任何数据"), "{r}");
    let mut store = open_device(&dir.path().join("x.db"));
    let wrong = EnrolmentOffer {
        server: server.url.clone(),
        code: code.clone(),
        pin: Some(other),
        place: "红阳村".into(),
        role: Role::WorkTeam,
    };
    certificate_refusal(zoufang_client::enrol_offer(&mut store, &wrong, "平板").unwrap_err());
    assert!(store.enrolment().unwrap().is_none());
    // No pin at all: a self-signed certificate no authority vouches for.
    let r = certificate_refusal(Client::new(&server.url).enrol(&code, Uuid::now_v7(), "平板").unwrap_err());
    assert!(matches!(r, CertRefusal::Untrusted { .. }), "{r}");
    assert_eq!(server.storage.devices().unwrap().len(), devices_before, "the server heard nothing");
    // The code was never sent, so it still works with the right pin.
    zoufang_client::enrol_pinned(&mut store, &server.url, Some(&pin), &code, "平板").unwrap();

    // An expired certificate, even the pinned one.
    let old = tempfile::tempdir().unwrap();
    let now = time::OffsetDateTime::now_utc();
    let (expired, old_pin) =
        TestServer::start_tls(old.path(), Some((now - time::Duration::days(400), now - time::Duration::days(30))));
    let r = certificate_refusal(Client::pinned(&expired.url, Some(&old_pin)).health().unwrap_err());
    assert!(matches!(r, CertRefusal::Expired { .. }), "{r}");
    assert!(r.to_string().contains("过期"), "{r}");
}

#[test]
fn plain_http_beyond_this_machine_is_refused_before_anything_is_sent() {
    // A documentation address (no one answers there): the refusal comes before any connection.
    let started = std::time::Instant::now();
    let e = Client::new("http://192.0.2.10:8470").health().unwrap_err();
    assert!(matches!(e, SyncError::PlainHttp { .. }), "{e}");
    assert!(e.to_string().contains("没有加密"), "{e}");
    assert!(started.elapsed() < std::time::Duration::from_secs(1), "refused without trying to connect");
    assert!(Client::new("http://127.0.0.1:8470").is_plain_http(), "loopback may be plain (the sync screen says so)");
    assert!(matches!(Client::new("ftp://x").health().unwrap_err(), SyncError::BadAddress { .. }));
    let dir = tempfile::tempdir().unwrap();
    let out = cli_on(&dir.path().join("d.db"))
        .args(["init", "--server", "http://192.0.2.10:8470", "--code", "AAAA-BBBB"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("没有加密"), "{}", String::from_utf8_lossy(&out.stderr));
}

/// The `zoufang-server` binary beside the CLI.
fn server_binary() -> std::path::PathBuf {
    cli_binary().with_file_name(format!("zoufang-server{}", std::env::consts::EXE_SUFFIX))
}

/// Starts `zoufang-server serve` on all addresses and reads its banner until the fingerprint line.
fn serve_on_all(db: &std::path::Path, port: u16) -> (Child, String) {
    let mut child = Command::new(server_binary())
        .arg("--db")
        .arg(db)
        .args(["serve", "--listen", &format!("0.0.0.0:{port}"), "--blobs"])
        .arg(db.with_file_name("blobs"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (banner, fp) = server_banner(&mut child);
    let fp = fp.unwrap_or_else(|| panic!("no fingerprint in the banner:\n{banner}"));
    (child, fp)
}

#[test]
fn the_server_makes_its_own_certificate_when_it_listens_beyond_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    let port = std::net::TcpListener::bind("0.0.0.0:0").unwrap().local_addr().unwrap().port();
    let (mut child, fingerprint) = serve_on_all(&db, port);
    assert!(dir.path().join("tls/server.crt").exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("tls/server.key")).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0);
    }
    // An enrolment code as a printed QR code carries the address and the fingerprint.
    let png = dir.path().join("code.png");
    let out = Command::new(server_binary())
        .arg("--db")
        .arg(&db)
        .args(["admin", "enrol", "--scope", "county:522630", "--name", "县扶贫办", "--qr-png"])
        .arg(&png)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let offer = EnrolmentOffer::parse(&zoufang_media::qr::read(&std::fs::read(&png).unwrap()).unwrap()).unwrap();
    assert_eq!(offer.pin.as_deref(), Some(fingerprint.as_str()));
    assert!(offer.server.starts_with("https://") && offer.server.ends_with(&format!(":{port}")), "{}", offer.server);
    assert_eq!(offer.role, Role::County);
    // Enrol and sync over loopback (test traffic stays on this machine), trusting exactly that pin.
    let local = EnrolmentOffer { server: format!("https://127.0.0.1:{port}"), ..offer };
    let mut store = open_device(&dir.path().join("office.db"));
    zoufang_client::enrol_offer(&mut store, &local, "县扶贫办").unwrap();
    zoufang_client::sync(&mut store).unwrap();
    child.kill().unwrap();
    let _ = child.wait();
    // The second start serves the same certificate: devices keep trusting it.
    let (mut again, second) = serve_on_all(&db, port);
    assert_eq!(second, fingerprint);
    zoufang_client::sync(&mut store).unwrap();
    again.kill().unwrap();
    let _ = again.wait();
}
