//! Bad input from the network gets a clear error and changes nothing stored.

use serde_json::{json, Value};
use std::time::Duration;
use uuid::Uuid;
use zoufang_model::{Entity, Scope};
use zoufang_scenarios::{Scenario, TestServer};
use zoufang_store::HouseholdQuery;
use zoufang_sync::{Change, PushRequest, PROTOCOL};

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

fn post(url: &str, token: &str, body: Vec<u8>) -> (u16, Value) {
    let mut r = agent()
        .post(url)
        .header("Authorization", format!("Bearer {token}"))
        .header("Content-Type", "application/json")
        .send(&body[..])
        .unwrap();
    let status = r.status().as_u16();
    let v: Value = r.body_mut().read_json().unwrap_or(Value::Null);
    (status, v)
}

/// Like `post`, but a connection the server cut comes back as the I/O error it was.
fn try_post(url: &str, token: &str, body: Vec<u8>) -> std::io::Result<(u16, Value)> {
    let sent = agent()
        .post(url)
        .header("Authorization", format!("Bearer {token}"))
        .header("Content-Type", "application/json")
        .send(&body[..]);
    let mut r = match sent {
        Ok(r) => r,
        Err(ureq::Error::Io(e)) => return Err(e),
        Err(e) => panic!("unexpected client error: {e}"),
    };
    let status = r.status().as_u16();
    let v: Value = r.body_mut().read_json().unwrap_or(Value::Null);
    Ok((status, v))
}

/// Sends a push through the server's router in process (no socket), for answers a socket may lose.
fn in_process_push(server: &TestServer, token: &str, body: Vec<u8>) -> (u16, Value) {
    use tower::ServiceExt;
    let storage: zoufang_scenarios::Storage = server.storage.clone();
    let router = zoufang_server::router(storage, server.blobs.clone());
    let req = axum::http::Request::post("/v1/push")
        .header("Authorization", format!("Bearer {token}"))
        .header("Content-Type", "application/json")
        .body(axum::body::Body::from(body))
        .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async move {
        let resp = router.oneshot(req).await.unwrap();
        let status = resp.status().as_u16();
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap();
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    })
}

#[test]
fn malformed_unknown_oversized_unauthorised_and_invalid_are_refused() {
    let sc = Scenario::start();
    let a = sc.village_device("a.db", "平板甲", 0);
    let token = a.enrolment().unwrap().unwrap().token;
    let push = format!("{}/v1/push", sc.url);
    let before = sc.log_len();
    let h = a.households(&HouseholdQuery::default()).unwrap()[0].id;
    let clock = std::cell::RefCell::new(zoufang_sync::Clock::default());
    let good = |field: &str, value: Value| Change {
        id: Uuid::now_v7(),
        entity: Entity::Household,
        row: h,
        field: field.into(),
        value,
        hlc: clock.borrow_mut().tick(zoufang_sync::hlc::now_ms()),
        device: a.device_id(),
        base: None,
        seen: None,
        chain: None,
    };

    let (s, v) = post(&push, &token, b"{\"protocol\":1,\"batch\":".to_vec());
    assert_eq!(s, 400);
    assert_eq!(v["error"], "bad_request");
    assert!(v["message"].as_str().unwrap().contains("请求格式错误"), "{v}");

    let (s, v) = post(&push, &token, br#"{"protocol":1,"batch":1,"changes":[],"sneaky":true}"#.to_vec());
    assert_eq!(s, 400);
    assert!(v["message"].as_str().unwrap().contains("unknown field"), "{v}");

    let mut c = serde_json::to_value(good("notes", json!("x"))).unwrap();
    c["extra"] = json!(1);
    let (s, _) = post(&push, &token, serde_json::to_vec(&json!({"protocol":1,"batch":1,"changes":[c]})).unwrap());
    assert_eq!(s, 400, "unknown fields inside a change are refused too");

    let many: Vec<Change> = (0..5001).map(|i| good("notes", json!(format!("第{i}条")))).collect();
    let (s, v) =
        post(&push, &token, serde_json::to_vec(&PushRequest { protocol: PROTOCOL, batch: 1, changes: many }).unwrap());
    assert_eq!(s, 413);
    assert_eq!(v["error"], "batch_too_large");
    assert!(v["message"].as_str().unwrap().contains("5000"));

    // Over 16 MB: the sc answers 413 as soon as the limit is passed and closes the connection, so a
    // client still writing may see the cut before it reads the answer; either way the body is refused.
    let huge = vec![b' '; 17 * 1024 * 1024];
    match try_post(&push, &token, huge.clone()) {
        Ok((s, v)) => assert_eq!((s, v["error"].as_str()), (413, Some("body_too_large"))),
        Err(e) => assert!(
            matches!(e.kind(), std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset),
            "only the server closing early may stand in for its 413: {e}"
        ),
    }
    // The answer itself, without a socket in between: the same router, in process.
    let (s, v) = in_process_push(&sc, &token, huge);
    assert_eq!((s, v["error"].as_str()), (413, Some("body_too_large")));
    assert!(v["message"].as_str().unwrap().contains("请求过大"), "{v}");

    let body =
        serde_json::to_vec(&PushRequest { protocol: PROTOCOL, batch: 1, changes: vec![good("notes", json!("x"))] })
            .unwrap();
    let (s, v) = post(&push, "zf_forged", body.clone());
    assert_eq!(s, 401);
    assert!(v["message"].as_str().unwrap().contains("身份验证失败"));
    let (s, _) = post(&push, "", body);
    assert_eq!(s, 401);

    let (s, v) = post(&push, &token, serde_json::to_vec(&json!({"protocol": 99, "batch": 1, "changes": []})).unwrap());
    assert_eq!((s, v["error"].as_str()), (400, Some("unsupported_protocol")));

    assert_eq!(sc.log_len(), before, "nothing stored changed");

    // An invalid 身份证号 in one change does not block the rest of the batch. (Linked into the device's
    // history, which the sc holds nothing of yet: the device has only pulled.)
    let mut pair = [good("head_id_number", json!("110105194912310021")), good("notes", json!("核实完毕"))];
    zoufang_sync::chain::link_all(zoufang_sync::chain::GENESIS, &mut pair);
    let [bad_id, fine] = pair;
    let (s, v) = post(
        &push,
        &token,
        serde_json::to_vec(&PushRequest { protocol: PROTOCOL, batch: 7, changes: vec![bad_id, fine] }).unwrap(),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["results"][0]["status"], "rejected");
    assert!(v["results"][0]["rejection"]["message"].as_str().unwrap().contains("校验位"), "{v}");
    assert_eq!(v["results"][1]["status"], "applied");
    assert_eq!(sc.log_len(), before + 1);
}

#[test]
fn the_device_quarantines_refused_changes_and_keeps_syncing() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path());
    server.seed_small();
    // The county office sets up a village with a mistyped code that belongs to another county, and
    // renames a village of its own: the new village is refused (out of scope), the rename goes through.
    let mut t = server.device(&dir.path().join("t.db"), "县扶贫办", Scope::County("522630".into()));
    zoufang_client::sync(&mut t).unwrap();
    let hs = t.households(&HouseholdQuery::default()).unwrap();
    assert_eq!(hs.len(), 60, "a county device sees both villages");
    let wrong = zoufang_model::Village {
        id: Uuid::now_v7(),
        name: "新建村".into(),
        code: "520102102201".into(),
        township: "施洞镇".into(),
        county: "台江县".into(),
        poor_village: None,
        lat: None,
        lon: None,
        radius_m: None,
    };
    t.create(&wrong).unwrap();
    let patch = [("name".to_string(), json!("花桥新村"))].into_iter().collect();
    t.update(Entity::Village, hs[0].village_id.unwrap(), &patch).unwrap();
    let r = zoufang_client::sync(&mut t).unwrap();
    assert_eq!((r.pushed.applied, r.pushed.rejected), (1, 4));
    let q = t.quarantined().unwrap();
    assert_eq!(q.len(), 4);
    assert!(q.iter().all(|c| c.row == wrong.id && c.reason.contains("范围")), "{q:?}");
    assert_eq!(t.pending_changes().unwrap(), 0, "the queue is not blocked");
    // Later work still syncs.
    let patch = [("name".to_string(), json!("花桥村"))].into_iter().collect();
    t.update(Entity::Village, hs[0].village_id.unwrap(), &patch).unwrap();
    assert_eq!(zoufang_client::sync(&mut t).unwrap().pushed.applied, 1);
    // The person discards the refused village.
    for c in q {
        t.discard_quarantined(c.change).unwrap();
    }
    assert!(t.quarantined().unwrap().is_empty());
    assert!(server.storage.villages().unwrap().iter().all(|v| v.id != wrong.id));
}
