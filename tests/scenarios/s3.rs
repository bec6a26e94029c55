//! The server's photo store on S3: a real S3-compatible server (moto, from PyPI, installed by
//! `scripts/setup.sh`) started by the test. Uploads cut in every way and a server restart mid-upload
//! still end with each file stored once under its verified hash: the upload's state lives in the
//! object store, not in the server process.

use crate::photos::{objects, push_records, upload_through_cuts};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use zoufang_client::{upload_photos, Client, PhotoReport};
use zoufang_media::sample::{camera_jpeg, CameraExif};
use zoufang_model::{ArchiveKind, Scope};
use zoufang_scenarios::{Cut, TestServer};
use zoufang_server::{BlobStore, S3Config};
use zoufang_store::{HouseholdQuery, NewDocument, PhotoTarget};
use zoufang_sync::BLOB_CHUNK;

/// A moto S3 server on a free loopback port, with one bucket; stopped on drop.
struct Moto {
    child: Child,
    endpoint: String,
}

const BUCKET: &str = "zoufang-photos";

impl Moto {
    fn start() -> Moto {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        // scripts/setup.sh installs moto into the Python on PATH, or into target/moto-venv where that
        // Python refuses packages.
        let venv = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/moto-venv/bin/python");
        let python = if venv.exists() { venv } else { std::path::PathBuf::from("python3") };
        let mut child = Command::new(&python)
            .args(["-m", "moto.server", "-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 is needed to run the moto S3 server");
        let endpoint = format!("http://127.0.0.1:{port}");
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        let start = Instant::now();
        loop {
            if agent.get(format!("{endpoint}/")).call().is_ok() {
                break;
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!("the moto S3 server exited ({status}): is it installed? run scripts/setup.sh (pip install 'moto[server]')");
            }
            assert!(start.elapsed() < Duration::from_secs(60), "the moto S3 server did not start on {endpoint}");
            std::thread::sleep(Duration::from_millis(200));
        }
        let r = agent.put(format!("{endpoint}/{BUCKET}")).send_empty().expect("create bucket");
        assert!(r.status().is_success(), "creating the bucket: {}", r.status());
        Moto { child, endpoint }
    }

    fn store(&self) -> BlobStore {
        BlobStore::s3(&S3Config {
            bucket: BUCKET.into(),
            region: "us-east-1".into(),
            endpoint: Some(self.endpoint.clone()),
            access_key: "testing".into(),
            secret_key: "testing".into(),
        })
        .expect("S3 store")
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn photos_on_s3_survive_cuts_and_a_server_restart() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_with(dir.path(), "127.0.0.1:0".parse().unwrap(), moto.store());
    let addr = server.addr;
    let villages = server.seed_small();
    let mut a = server.device(&dir.path().join("a.db"), "平板甲", Scope::Village(villages[0]));
    zoufang_client::sync(&mut a).unwrap();
    let h = a.households(&HouseholdQuery { village: Some(villages[0]), ..Default::default() }).unwrap()[0].id;
    let doc = a
        .create_document(&NewDocument { household_id: h, kind: ArchiveKind::IntakeForm, title: None, note: None }, None)
        .unwrap();
    let exif = CameraExif { orientation: 1, taken_at: None, gps: None };
    let mut hashes = Vec::new();
    for seed in 0..2 {
        let p = a.import_photo(&camera_jpeg(4000, 3000, seed, 97, &exif), PhotoTarget::ArchiveDocument(doc), None);
        hashes.push(p.unwrap().photo.hash);
    }
    push_records(&server, &mut a);
    let plan = vec![Cut::None, Cut::MidBody, Cut::BeforeResponse, Cut::None, Cut::BeforeRequest, Cut::MidBody];
    let (report, size, cuts) = upload_through_cuts(&server, &mut a, plan);
    assert!(cuts >= 4, "only {cuts} cuts happened");
    assert!(report.bytes_sent <= size, "acknowledged chunks are never resent");
    assert!(report.bytes_attempted - size <= cuts as u64 * BLOB_CHUNK as u64, "at most a chunk per interruption");
    let (photos, leftovers) = objects(&server);
    assert_eq!(photos.len(), 4, "{photos:?}");
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // A third photo: one chunk, then the server goes away and a new one starts on the same bucket.
    let p = a.import_photo(&camera_jpeg(4000, 3000, 9, 97, &exif), PhotoTarget::ArchiveDocument(doc), None).unwrap();
    push_records(&server, &mut a);
    let e = a.enrolment().unwrap().unwrap();
    let bytes = a.blob(&p.photo.hash).unwrap().unwrap();
    let client = Client::new(&server.url).with_token(&e.token);
    client.blob_put(&p.photo.hash, bytes.len() as u64, 0, &bytes[..BLOB_CHUNK]).unwrap();
    drop(server);
    let server = TestServer::start_with(dir.path(), addr, moto.store());
    assert_eq!(client.blob_status(&p.photo.hash).unwrap().received, BLOB_CHUNK as u64);
    let mut report = PhotoReport::default();
    upload_photos(&client, &mut a, &mut report, &mut |_| {}).unwrap();
    assert_eq!(report.uploaded, 2);
    let (photos, leftovers) = objects(&server);
    assert_eq!(photos.len(), 6);
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // Another device of the village reads them back from S3 through the server.
    let mut b = server.device(&dir.path().join("b.db"), "平板乙", Scope::Village(villages[0]));
    let r = zoufang_client::sync(&mut b).unwrap();
    assert_eq!(r.photos.fetched, 3);
    for h in hashes.iter().chain([&p.photo.hash]) {
        assert_eq!(&zoufang_media::sha256_hex(&zoufang_client::photo_image(&mut b, h).unwrap()), h);
    }
}
