//! The app as the window sees it, for the command tests: the real command handlers over Tauri's IPC
//! layer (mock runtime: argument parsing and error serialisation, without a window).

#![allow(dead_code)]

use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, mock_context, noop_assets, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{Manager, WebviewWindow, WebviewWindowBuilder};
use zoufang_app::AppState;
use zoufang_scenarios::UNLOCK;

pub struct App {
    _app: tauri::App<MockRuntime>,
    window: WebviewWindow<MockRuntime>,
}

impl App {
    /// The app as it starts: locked.
    pub fn locked(dir: &std::path::Path) -> App {
        let app = zoufang_app::builder(mock_builder()).build(mock_context(noop_assets())).expect("mock app");
        app.manage(AppState::new(dir).expect("state"));
        let window = WebviewWindowBuilder::new(&app, "main", Default::default()).build().expect("window");
        App { _app: app, window }
    }

    /// The app unlocked with the test devices' secret.
    pub fn new(dir: &std::path::Path) -> App {
        let app = App::locked(dir);
        app.ok("unlock", json!({ "secret": UNLOCK }));
        app
    }

    /// Calls a command; `Err` holds the serialised `CmdError`.
    pub fn call(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        self.invoke(cmd, InvokeBody::Json(args), Default::default())
    }

    pub fn ok(&self, cmd: &str, args: Value) -> Value {
        self.call(cmd, args).unwrap_or_else(|e| panic!("{cmd} failed: {e}"))
    }

    /// Calls a command with a raw body (a file) and headers.
    pub fn call_raw(&self, cmd: &str, body: Vec<u8>, headers: &[(&'static str, &str)]) -> Result<Value, Value> {
        let mut map = tauri::http::HeaderMap::new();
        for (k, v) in headers {
            map.insert(*k, v.parse().expect("header value"));
        }
        self.invoke(cmd, InvokeBody::Raw(body), map)
    }

    /// One request through the IPC layer, as the window sends it.
    fn invoke(&self, cmd: &str, body: InvokeBody, headers: tauri::http::HeaderMap) -> Result<Value, Value> {
        let req = InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().expect("url"),
            body,
            headers,
            invoke_key: INVOKE_KEY.to_string(),
        };
        get_ipc_response(&self.window, req).map(|b| b.deserialize::<Value>().expect("json response"))
    }

    /// The error of a command expected to fail: (field, message). Every error carries a stable code, and
    /// an error at a field has the code `invalid` or its own.
    pub fn err(&self, cmd: &str, args: Value) -> (Option<String>, String) {
        let e = self.call(cmd, args).expect_err(cmd);
        let code = e["code"].as_str().unwrap_or_default();
        assert!(!code.is_empty() && code.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{cmd}: code {e}");
        (e["field"].as_str().map(str::to_string), e["message"].as_str().unwrap_or_default().to_string())
    }
}

/// Waits until `done` holds, calling it every 100 ms; fails with `what` after `secs` seconds.
pub fn wait_for(secs: u64, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while !done() {
        assert!(std::time::Instant::now() < deadline, "{what}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}
