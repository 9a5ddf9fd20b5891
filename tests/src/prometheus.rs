//! A real Prometheus (Debian's `prometheus` package) started by a test on a free port, scraping
//! one target every second, with its own empty storage: to check that dashboards' queries
//! work against what the collector really exposes.

use crate::process::{free_port, wait_until, Proc};
use serde_json::Value;
use std::process::Command;
use std::time::Duration;

pub struct Prometheus {
    proc: Proc,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Prometheus {
    /// Scrape `http://127.0.0.1:{target_port}/metrics` as job `pantau` every second.
    pub fn start(target_port: u16) -> Prometheus {
        let dir = tempfile::Builder::new()
            .prefix("pantau-prometheus-")
            .tempdir()
            .expect("tempdir");
        let config = dir.path().join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
                 scrape_configs:\n  - job_name: pantau\n    metrics_path: /metrics\n    \
                 static_configs:\n      - targets: ['127.0.0.1:{target_port}']\n"
            ),
        )
        .expect("write prometheus.yml");
        let port = free_port();
        let mut proc = Proc::new("prometheus", dir.path().join("prometheus.log"));
        let mut cmd = Command::new("prometheus");
        cmd.arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"));
        proc.spawn(cmd);
        let mut p = Prometheus {
            proc,
            port,
            _dir: dir,
        };
        let ready = format!("http://127.0.0.1:{port}/-/ready");
        let up = wait_until(Duration::from_secs(30), || {
            p.proc.assert_running();
            crate::http::status(&ready) == Some(200)
        });
        assert!(up, "prometheus not ready; log:\n{}", p.proc.log_text());
        p
    }

    /// `GET /api/v1/{path}` with `params` URL-encoded: the whole JSON answer.
    pub fn api(&self, path: &str, params: &[(&str, &str)]) -> Value {
        let query: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params)
            .finish();
        let url = format!("http://127.0.0.1:{}/api/v1/{path}?{query}", self.port);
        crate::http::try_get_json(&url).unwrap_or_else(|e| panic!("{url}: {e}"))
    }

    /// An instant query; panics with Prometheus's error if it is not a valid query.
    pub fn query(&self, expr: &str) -> Vec<Value> {
        let answer = self.api("query", &[("query", expr)]);
        assert_eq!(answer["status"], "success", "{expr}: {answer}");
        answer["data"]["result"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Samples scraped so far from the target (`up` counts one per scrape).
    pub fn scrapes(&self) -> usize {
        self.query("count_over_time(up{job=\"pantau\"}[10m])")
            .first()
            .and_then(|r| r["value"][1].as_str()?.parse().ok())
            .unwrap_or(0)
    }
}
