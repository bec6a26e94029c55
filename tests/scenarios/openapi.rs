//! The API against its own OpenAPI description: schemathesis (PyPI, installed by `scripts/setup.sh`)
//! generates requests from the document the server serves, valid and invalid, and checks every answer:
//! no 5xx, only documented status codes and content types, bodies that match their schemas.

use serde_json::Value;
use std::process::Command;
use zoufang_model::Scope;
use zoufang_scenarios::TestServer;
use zoufang_store::HouseholdQuery;

/// Python with schemathesis: the one on PATH, or the project's venv where Debian's Python refuses
/// packages (see scripts/setup.sh).
fn python() -> std::path::PathBuf {
    let venv = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/moto-venv/bin/python");
    if venv.exists() {
        venv
    } else {
        "python3".into()
    }
}

#[test]
fn the_api_holds_to_its_openapi_description_under_generated_requests() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path());
    let villages = server.seed_small();
    let mut device = server.device(&dir.path().join("a.db"), "平板", Scope::Village(villages[0]));
    zoufang_client::sync(&mut device).unwrap();
    let token = device.enrolment().unwrap().unwrap().token;

    // The description is served and covers every route.
    let doc: Value =
        ureq::get(format!("{}/v1/openapi.json", server.url)).call().unwrap().body_mut().read_json().unwrap();
    let paths: Vec<&String> = doc["paths"].as_object().unwrap().keys().collect();
    for p in [
        "/v1/health",
        "/v1/enrol",
        "/v1/login",
        "/v1/me",
        "/v1/push",
        "/v1/pull",
        "/v1/handover",
        "/v1/enrol-codes",
        "/v1/users",
        "/v1/blobs/{hash}",
        "/v1/blobs/{hash}/upload",
    ] {
        assert!(paths.iter().any(|x| *x == p), "{p} is missing from the description: {paths:?}");
    }

    let before = server.log_len();
    let out = Command::new(python())
        .args(["-m", "schemathesis.cli", "run", &format!("{}/v1/openapi.json", server.url)])
        .args(["--header", &format!("Authorization: Bearer {token}")])
        .args([
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
        ])
        // One worker: Python 3.11's AST parser, which hypothesis uses to describe strategies, is not
        // safe across threads ("AST constructor recursion depth mismatch" under --workers 2).
        .args(["--max-examples", "40", "--seed", "20261122", "--workers", "1"])
        .env("NO_COLOR", "1")
        // Its example cache goes to the temporary directory, not the source tree.
        .current_dir(dir.path())
        .output()
        .expect("python3 is needed to run schemathesis (scripts/setup.sh installs it)");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!text.contains("No module named"), "schemathesis is not installed (scripts/setup.sh installs it):\n{text}");
    assert!(out.status.success(), "schemathesis found problems:\n{text}");
    assert!(text.contains("Tested: 14"), "every operation was exercised:\n{text}");
    eprintln!("{text}");

    // Whatever it sent, the server still works and the device's own history is intact.
    zoufang_client::sync(&mut device).unwrap();
    assert!(!device.households(&HouseholdQuery::default()).unwrap().is_empty());
    assert!(server.log_len() >= before);
    assert!(zoufang_scenarios::Storage::audit(&*server.storage).unwrap().iter().all(|r| r.problem.is_none()));
}
