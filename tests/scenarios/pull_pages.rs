//! Pull pages read ahead: the server says in headers where the next page starts, so a device asks for
//! it while reading the page in hand. The headers agree with the page, and a server that does not send
//! them (an older one) is read page by page, to the same end. Pages come compressed as the device asks.

use zoufang_client::{sync_client, Client, SyncOptions};
use zoufang_model::Scope;
use zoufang_scenarios::{Cut, CuttingProxy, Scenario};
use zoufang_store::HouseholdQuery;
use zoufang_sync::PullResponse;

#[test]
fn next_page_headers_agree_with_the_page() {
    let sc = Scenario::start();
    let store = sc.device(&sc.dir().join("a.db"), "平板甲", Scope::Village(sc.villages[0]));
    let client = Client::new(&sc.url).with_token(&store.enrolment().unwrap().unwrap().token);
    let (mut after, mut pages) = (0, 0);
    loop {
        let received = client.pull_received(after, 40).unwrap();
        let next = received.next.expect("the server sends where the next page starts");
        let (page, _) = received.read::<PullResponse>().unwrap();
        assert_eq!(next, (page.cursor, page.more));
        pages += 1;
        if !page.more {
            break;
        }
        after = page.cursor;
    }
    assert!(pages > 3, "a village in pages of 40 changes: {pages}");
}

#[test]
fn a_server_without_next_page_headers_syncs_to_the_same_end() {
    let sc = Scenario::start();
    let opts = SyncOptions { batch: 50, page: 40 };
    let mut direct = sc.device(&sc.dir().join("direct.db"), "平板甲", Scope::Village(sc.villages[0]));
    let token = direct.enrolment().unwrap().unwrap().token;
    let report = sync_client(&Client::new(&sc.url).with_token(&token), &mut direct, opts, &mut |_| {}).unwrap();

    let mut older = sc.device(&sc.dir().join("older.db"), "平板乙", Scope::Village(sc.villages[0]));
    let token = older.enrolment().unwrap().unwrap().token;
    let proxy = CuttingProxy::start(sc.addr, vec![Cut::OlderServer; 10_000]);
    let through = Client::new(&proxy.url).with_token(&token);
    assert_eq!(through.pull_received(0, 40).unwrap().next, None, "the proxy answers as an older server");
    let old = sync_client(&through, &mut older, opts, &mut |_| {}).unwrap();

    assert!(report.pages > 3, "several pages: {}", report.pages);
    assert_eq!((old.pages, &old.pulled), (report.pages, &report.pulled));
    assert_eq!(older.cursor().unwrap(), direct.cursor().unwrap());
    let all = HouseholdQuery::default();
    let households = direct.households(&all).unwrap();
    assert!(!households.is_empty());
    assert_eq!(older.households(&all).unwrap(), households);
    for h in &households {
        assert_eq!(older.household(h.id).unwrap(), direct.household(h.id).unwrap());
    }
}

/// Pages come in the encoding asked for: zstd whenever the device takes it (ours always asks), gzip
/// when it takes only gzip (a proxy, another client), as they are when it takes neither; each reads
/// back to the same page.
#[test]
fn pages_come_in_the_encoding_asked_for() {
    use std::io::Read;
    let sc = Scenario::start();
    let store = sc.device(&sc.dir().join("a.db"), "平板甲", Scope::Village(sc.villages[0]));
    let token = store.enrolment().unwrap().unwrap().token;
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let get = |accept: &str| -> (Option<String>, Vec<u8>) {
        let mut r = agent
            .get(format!("{}/v1/pull?after=0&limit=500", sc.url))
            .header("Authorization", format!("Bearer {token}"))
            .header("Accept-Encoding", accept)
            .call()
            .unwrap();
        assert_eq!(r.status(), 200);
        let encoding = r.headers().get("content-encoding").map(|v| v.to_str().unwrap().to_string());
        (encoding, r.body_mut().read_to_vec().unwrap())
    };
    let (encoding, plain) = get("identity");
    assert_eq!(encoding, None);
    let page: PullResponse = serde_json::from_slice(&plain).unwrap();
    assert!(page.rows.len() > 20, "a page of a village: {} records", page.rows.len());
    for (accept, expected) in [("zstd", "zstd"), ("gzip, deflate, br, zstd", "zstd"), ("gzip", "gzip")] {
        let (encoding, body) = get(accept);
        assert_eq!(encoding.as_deref(), Some(expected), "asked for {accept}");
        let mut read = Vec::new();
        match expected {
            "zstd" => zstd::stream::read::Decoder::new(&body[..]).unwrap().read_to_end(&mut read).unwrap(),
            _ => flate2::read::GzDecoder::new(&body[..]).read_to_end(&mut read).unwrap(),
        };
        assert_eq!(read, plain, "asked for {accept}");
        assert!(body.len() * 3 < plain.len(), "{accept}: {} bytes of {}", body.len(), plain.len());
    }
}
