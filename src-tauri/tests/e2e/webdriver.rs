//! A small W3C WebDriver client (the handful of endpoints the end-to-end test uses), over ureq.

use serde_json::{json, Value};
use std::time::{Duration, Instant};

pub struct Session {
    base: String,
    agent: ureq::Agent,
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

fn send(agent: &ureq::Agent, method: &str, url: &str, body: Option<Value>) -> Result<Value, String> {
    let resp = match (method, body) {
        ("GET", _) => agent.get(url).call(),
        ("DELETE", _) => agent.delete(url).call(),
        (_, b) => agent.post(url).send_json(b.unwrap_or_else(|| json!({}))),
    };
    let mut resp = resp.map_err(|e| format!("{method} {url}: {e}"))?;
    let status = resp.status().as_u16();
    let v: Value = resp.body_mut().read_json().map_err(|e| format!("{method} {url}: bad JSON: {e}"))?;
    if status >= 400 {
        return Err(format!("{method} {url}: {status} {}", v["value"]));
    }
    Ok(v["value"].clone())
}

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

impl Session {
    /// Starts the app through tauri-driver.
    pub fn start(driver: &str, application: &str) -> Result<Session, String> {
        let agent = agent();
        let caps = json!({"capabilities": {"alwaysMatch": {"tauri:options": {"application": application}}}});
        // tauri-driver answers before its WebKitWebDriver is ready: retry for a while.
        let end = Instant::now() + Duration::from_secs(20);
        let v = loop {
            match send(&agent, "POST", &format!("{driver}/session"), Some(caps.clone())) {
                Ok(v) => break v,
                Err(e) if Instant::now() < end && (e.contains("disconnected") || e.contains("onnection")) => {
                    std::thread::sleep(Duration::from_millis(200))
                }
                Err(e) => return Err(e),
            }
        };
        let id = v["sessionId"].as_str().ok_or("no session id")?.to_string();
        Ok(Session { base: format!("{driver}/session/{id}"), agent })
    }

    fn cmd(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        send(&self.agent, method, &format!("{}{path}", self.base), body)
    }

    /// Elements matching a CSS selector, now.
    pub fn find_all(&self, css: &str) -> Result<Vec<String>, String> {
        let v = self.cmd("POST", "/elements", Some(json!({"using": "css selector", "value": css})))?;
        Ok(v.as_array()
            .map(|a| a.iter().filter_map(|e| e[ELEMENT].as_str().map(str::to_string)).collect())
            .unwrap_or_default())
    }

    /// Waits for an element to exist and be displayed.
    pub fn wait(&self, css: &str, timeout: Duration) -> Result<String, String> {
        self.wait_every(css, timeout, Duration::from_millis(50))
    }

    /// Waits for an element, looking every `poll` (a timing needs a finer step than the 50 ms `wait` takes).
    pub fn wait_every(&self, css: &str, timeout: Duration, poll: Duration) -> Result<String, String> {
        let end = Instant::now() + timeout;
        loop {
            // While the page is (re)loading, look-ups may fail with stale or missing nodes: keep waiting.
            if let Some(e) = self.find_all(css).ok().and_then(|v| v.into_iter().next()) {
                match self.cmd("GET", &format!("/element/{e}/displayed"), None) {
                    Ok(v) if v.as_bool().unwrap_or(true) => return Ok(e),
                    _ => {}
                }
            }
            if Instant::now() > end {
                return Err(format!("timed out waiting for {css}"));
            }
            std::thread::sleep(poll);
        }
    }

    /// Waits until the page's text contains `needle`.
    pub fn wait_text(&self, needle: &str, timeout: Duration) -> Result<(), String> {
        let end = Instant::now() + timeout;
        loop {
            if self.text("body")?.contains(needle) {
                return Ok(());
            }
            if Instant::now() > end {
                return Err(format!("timed out waiting for text {needle:?}; page: {}", self.text("body")?));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn click(&self, css: &str) -> Result<(), String> {
        let e = self.wait(css, Duration::from_secs(15))?;
        // A script click: Vant's buttons sit under ripple layers that native clicks may hit instead.
        self.cmd(
            "POST",
            "/execute/sync",
            Some(json!({"script": "arguments[0].scrollIntoView({block:'center'}); arguments[0].click();", "args": [{ELEMENT: e}]})),
        )?;
        Ok(())
    }

    /// Replaces an input's content, as typing would (so Vue's v-model sees it).
    pub fn fill(&self, css: &str, text: &str) -> Result<(), String> {
        let e = self.wait(css, Duration::from_secs(15))?;
        self.cmd(
            "POST",
            "/execute/sync",
            Some(json!({
                "script": "const el = arguments[0]; el.focus(); el.value = arguments[1]; \
                           el.dispatchEvent(new Event('input', {bubbles: true})); \
                           el.dispatchEvent(new Event('change', {bubbles: true}));",
                "args": [{ELEMENT: e}, text]
            })),
        )?;
        Ok(())
    }

    pub fn text(&self, css: &str) -> Result<String, String> {
        let e = self.wait(css, Duration::from_secs(15))?;
        Ok(self.cmd("GET", &format!("/element/{e}/text"), None)?.as_str().unwrap_or_default().to_string())
    }

    pub fn script(&self, js: &str) -> Result<Value, String> {
        self.cmd("POST", "/execute/sync", Some(json!({"script": js, "args": []})))
    }

    pub fn navigate_hash(&self, hash: &str) -> Result<(), String> {
        self.script(&format!("location.hash = {};", json!(hash)))?;
        Ok(())
    }

    pub fn quit(self) {
        let _ = self.cmd("DELETE", "", None);
    }
}
