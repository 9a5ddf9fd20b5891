//! Headless Chromium (Debian's `chromium`) driven through `chromedriver` (Debian's
//! `chromium-driver`) with the W3C WebDriver protocol, for the dashboard tests. Each browser has
//! its own chromedriver on a free port and its own profile directory; the window is the
//! 1366×768 of an office monitor unless asked otherwise. Screenshots go to
//! `target/test-artifacts/NAME/`, next to the binaries under test.

use crate::process::{bin, free_port, port_open, wait_until, Proc};
use fantoccini::wd::{Capabilities, WebDriverCompatibleCommand};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

pub struct Browser {
    rt: tokio::runtime::Runtime,
    client: Option<Client>,
    _driver: Proc,
    _profile: tempfile::TempDir,
    artifacts: PathBuf,
}

/// chromedriver's log endpoint (not in W3C WebDriver, which has no console API).
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({"type": "browser"}).to_string()),
        )
    }
}

impl Browser {
    /// Start chromedriver and a headless chromium window of `width`×`height`. `name` names
    /// the folder screenshots go to.
    pub fn start(name: &str, width: u32, height: u32) -> Browser {
        let profile = tempfile::Builder::new()
            .prefix("pantau-chromium-")
            .tempdir()
            .expect("tempdir");
        let port = free_port();
        let mut driver = Proc::new("chromedriver", profile.path().join("chromedriver.log"));
        let mut cmd = Command::new("chromedriver");
        cmd.arg(format!("--port={port}"));
        driver.spawn(cmd);
        let up = wait_until(Duration::from_secs(20), || {
            driver.assert_running();
            port_open(port)
        });
        assert!(up, "chromedriver did not listen");
        let mut caps = Capabilities::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--no-first-run", "--disable-extensions", "--disable-background-networking",
                    format!("--window-size={width},{height}"),
                    format!("--user-data-dir={}", profile.path().join("profile").display()),
                ],
            }),
        );
        caps.insert("goog:loggingPrefs".into(), json!({ "browser": "ALL" }));
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let client = rt
            .block_on(
                ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                    .capabilities(caps)
                    .connect(&format!("http://127.0.0.1:{port}")),
            )
            .unwrap_or_else(|e| panic!("chromium session: {e}\n{}", driver.log_text()));
        let artifacts = bin("pantau-collector")
            .parent()
            .expect("target dir")
            .join("../test-artifacts")
            .join(name);
        std::fs::create_dir_all(&artifacts).expect("artifacts dir");
        Browser {
            rt,
            client: Some(client),
            _driver: driver,
            _profile: profile,
            artifacts,
        }
    }

    fn c(&self) -> &Client {
        self.client.as_ref().expect("browser open")
    }

    pub fn goto(&self, url: &str) {
        self.rt
            .block_on(self.c().goto(url))
            .unwrap_or_else(|e| panic!("goto {url}: {e}"));
    }

    pub fn url(&self) -> String {
        self.rt
            .block_on(self.c().current_url())
            .unwrap()
            .to_string()
    }

    /// Text of the first element matching `css`; panics with the page source if none.
    pub fn text(&self, css: &str) -> String {
        self.rt.block_on(async {
            match self.c().find(Locator::Css(css)).await {
                Ok(e) => e.text().await.unwrap(),
                Err(e) => panic!("{css}: {e}\n{}", self.c().source().await.unwrap()),
            }
        })
    }

    /// How many elements match `css`.
    pub fn count(&self, css: &str) -> usize {
        self.rt
            .block_on(self.c().find_all(Locator::Css(css)))
            .map(|v| v.len())
            .unwrap_or(0)
    }

    pub fn fill(&self, css: &str, value: &str) {
        self.rt.block_on(async {
            let e = self.c().find(Locator::Css(css)).await.unwrap();
            e.clear().await.unwrap();
            e.send_keys(value).await.unwrap();
        })
    }

    /// Click the first element matching `css` and wait for the next page to load.
    pub fn click(&self, css: &str) {
        self.rt.block_on(async {
            let e = self
                .c()
                .find(Locator::Css(css))
                .await
                .unwrap_or_else(|e| panic!("{css}: {e}"));
            e.click().await.unwrap();
        })
    }

    /// The page's width in CSS pixels beyond the window: > 0 means sideways scrolling.
    pub fn overflow_x(&self) -> i64 {
        let v: Value = self
            .rt
            .block_on(self.c().execute(
                "return document.documentElement.scrollWidth - window.innerWidth;",
                vec![],
            ))
            .unwrap();
        v.as_i64().unwrap_or(0)
    }

    /// Save a PNG of the window as `NAME/{file}.png`; returns its path.
    pub fn screenshot(&self, file: &str) -> PathBuf {
        let png = self.rt.block_on(self.c().screenshot()).unwrap();
        let path = self.artifacts.join(format!("{file}.png"));
        std::fs::write(&path, png).expect("write screenshot");
        path
    }

    /// Console messages at level SEVERE (errors) since the last call.
    pub fn console_errors(&self) -> Vec<String> {
        let log = self
            .rt
            .block_on(self.c().issue_cmd(BrowserLog))
            .unwrap_or_else(|e| panic!("browser log: {e}"));
        log.as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["level"] == "SEVERE")
            .map(|e| e["message"].as_str().unwrap_or("").to_owned())
            .collect()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Some(c) = self.client.take() {
            let _ = self.rt.block_on(c.close());
        }
    }
}
