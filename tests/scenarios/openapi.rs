//! The API against its own OpenAPI description: schemathesis (PyPI, installed by `scripts/setup.sh`)
//! generates requests from the document the server serves, valid and invalid, and checks every answer:
//! no 5xx, only documented status codes and content types, bodies that match their schemas.

use serde_json::Value;
use std::process::Command;
use zoufang_client::{Client, SyncError};
use zoufang_model::{Role, Scope};
use zoufang_scenarios::{Scenario, TestServer};
use zoufang_store::HouseholdQuery;
use zoufang_sync::CodeRequest;

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

/// Runs schemathesis against the server's description with a token; its output. `extra`: more
/// arguments (which operations).
fn schemathesis(server: &TestServer, dir: &std::path::Path, token: &str, examples: u32, extra: &[&str]) -> String {
    let out = Command::new(python())
        .args(["-m", "schemathesis.cli", "run", &format!("{}/v1/openapi.json", server.url)])
        .args(["--header", &format!("Authorization: Bearer {token}")])
        .args([
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
        ])
        // One worker: Python 3.11's AST parser, which hypothesis uses to describe strategies, is not
        // safe across threads ("AST constructor recursion depth mismatch" under --workers 2).
        .args(["--max-examples", &examples.to_string(), "--seed", "20261122", "--workers", "1"])
        .args(extra)
        .env("NO_COLOR", "1")
        // Its example cache goes to the temporary directory, not the source tree.
        .current_dir(dir)
        .output()
        .expect("python3 is needed to run schemathesis (scripts/setup.sh installs it)");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!text.contains("No module named"), "schemathesis is not installed (scripts/setup.sh installs it):\n{text}");
    assert!(out.status.success(), "schemathesis found problems:\n{text}");
    eprintln!("{text}");
    text
}

#[test]
fn the_api_holds_to_its_openapi_description_under_generated_requests() {
    let sc = Scenario::start();
    let mut device = sc.village_device("a.db", "平板", 0);
    let token = device.enrolment().unwrap().unwrap().token;

    // The description is served and covers every route.
    let doc: Value = ureq::get(format!("{}/v1/openapi.json", sc.url)).call().unwrap().body_mut().read_json().unwrap();
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
        "/v1/settings",
        "/v1/history/{household}",
        "/v1/blobs/{hash}",
        "/v1/blobs/{hash}/upload",
    ] {
        assert!(paths.iter().any(|x| *x == p), "{p} is missing from the description: {paths:?}");
    }

    // The county office's device, enrolled before schemathesis tries wrong codes from this address.
    let county = sc.device(&sc.dir().join("county.db"), "县扶贫办", Scope::County("522630".into()));
    let county_token = county.enrolment().unwrap().unwrap().token;
    let before = sc.log_len();
    let text = schemathesis(&sc, sc.dir(), &token, 40, &[]);
    assert!(text.contains("Tested: 17"), "every operation was exercised:\n{text}");

    // The office operations again with the county office's token, which may issue codes, add users and
    // set the county's settings: generated scopes of every shape are refused at the door, never stored
    // to fail later, and so are settings out of their bounds.
    let office_paths = ["--include-path-regex", "^/v1/(enrol-codes|users|settings)$"];
    let text = schemathesis(&sc, sc.dir(), &county_token, 60, &office_paths);
    assert!(text.contains("Tested: 4"), "every office operation was exercised:\n{text}");
    sc.storage.users().expect("every stored user reads back");
    // Regression: a code for `township:522630` (a county code as a township) was stored, and redeeming
    // it answered 500. It is refused when issued; one stored before (an old database) is no code.
    let office = Client::new(&sc.url).with_token(&county_token);
    let ask = CodeRequest {
        scope: Scope::Township("522630".into()),
        role: Role::Township,
        device_name: "乡镇".into(),
        ttl_hours: 1,
    };
    match office.issue_code(&ask).unwrap_err() {
        SyncError::Server { status, .. } => assert_eq!(status, 400),
        e => panic!("{e}"),
    }
    let code =
        sc.storage.create_enrol_code_for("乡镇", &Scope::Township("522630101".into()), Role::Township, 1, 30).unwrap();
    sc.sql("UPDATE enrol_code SET scope = 'township:522630'", &[]);
    // schemathesis's wrong codes made this address wait; the test starts a new window.
    sc.sql("DELETE FROM guard", &[]);
    match Client::new(&sc.url).enrol(&code, uuid::Uuid::now_v7(), "乡镇").unwrap_err() {
        SyncError::Server { status, code, .. } => assert_eq!((status, code.as_str()), (403, "bad_code")),
        e => panic!("{e}"),
    }

    // Whatever it sent, the sc still works and the device's own history is intact.
    zoufang_client::sync(&mut device).unwrap();
    assert!(!device.households(&HouseholdQuery::default()).unwrap().is_empty());
    assert!(sc.log_len() >= before);
    assert!(zoufang_scenarios::Storage::audit(&sc.storage).unwrap().iter().all(|r| r.problem.is_none()));
}
