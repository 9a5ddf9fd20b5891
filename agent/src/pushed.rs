//! The collector's pushed config (`pantau/v1/{agent_id}/config`, retained) in the running
//! agent: one task checks each document whole, keeps the last good one in
//! `state_dir/pushed_config.json`, and hands each part to the loop that uses it (`net` rounds,
//! the scout) through its own watch channel, so a loop wakes only when its part changed.
//!
//! A document is applied all or nothing: if its `net` part or its `discovery` part is
//! refused, neither is taken and the last good document stays in force. Half a document
//! would leave the agent in a state nobody configured.

use crate::scout::ScoutConfig;
use pantau_proto::body::config::{NetProbeConfig, PushedConfig};
use pantau_proto::body::snmp_config::SnmpConfig;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The last good pushed config, kept so a restart without a broker still uses it.
pub const SAVED_FILE: &str = "pushed_config.json";

/// The settings a pushed document can change.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub net: NetProbeConfig,
    pub scout: ScoutConfig,
    /// The poller's targets and credentials (`snmp`).
    pub snmp: SnmpConfig,
}

/// `file` with a pushed document over it, and the document's version (0 for none).
/// `None` or an empty document (a cleared retained message) means the file's settings.
pub fn apply(file: &Settings, doc: Option<&[u8]>) -> Result<(u64, Settings), String> {
    let doc = match doc {
        None | Some([]) => return Ok((0, file.clone())),
        Some(d) => d,
    };
    let pushed = parse(doc)?;
    let net = crate::net::pushed::merge(&file.net, pushed.net.as_ref())?;
    let scout = crate::scout::pushed::merge(&file.scout, pushed.discovery.as_ref())?;
    let snmp = crate::snmp::pushed::merge(&file.snmp, pushed.snmp.as_ref())?;
    let version = pushed.version;
    Ok((version, Settings { net, scout, snmp }))
}

/// A pushed document, checked once for size, JSON and the shape of every section; each
/// section's own bounds are checked where it is merged.
pub fn parse(doc: &[u8]) -> Result<PushedConfig, String> {
    use pantau_proto::Kind;
    if doc.len() > Kind::Config.max_bytes() {
        return Err(format!(
            "pushed config is {} bytes, more than the {} allowed",
            doc.len(),
            Kind::Config.max_bytes()
        ));
    }
    let value: serde_json::Value =
        serde_json::from_slice(doc).map_err(|e| format!("pushed config is not JSON: {e}"))?;
    if !value.is_object() {
        return Err("pushed config must be a JSON object".into());
    }
    serde_json::from_value(value).map_err(|e| format!("pushed config has the wrong shape: {e}"))
}

/// What the loops watch.
pub struct Receivers {
    pub net: watch::Receiver<NetProbeConfig>,
    pub scout: watch::Receiver<ScoutConfig>,
    pub snmp: watch::Receiver<SnmpConfig>,
}

/// The settings in force at start (the saved document over `file`, if it is still good),
/// and the task applying documents from the link (`raw`) until it or `shutdown` ends.
pub fn spawn(
    file: Settings,
    state_dir: &Path,
    raw: watch::Receiver<Option<Arc<Vec<u8>>>>,
    shutdown: watch::Receiver<bool>,
) -> (Receivers, JoinHandle<()>) {
    let saved = state_dir.join(SAVED_FILE);
    let start = match std::fs::read(&saved) {
        Ok(doc) => match apply(&file, Some(&doc)) {
            Ok((_, s)) => s,
            Err(e) => {
                tracing::warn!("ignoring {}: {e}", saved.display());
                file.clone()
            }
        },
        Err(_) => file.clone(),
    };
    let (net_tx, net) = watch::channel(start.net);
    let (scout_tx, scout) = watch::channel(start.scout);
    let (snmp_tx, snmp) = watch::channel(start.snmp);
    let task = tokio::spawn(run(file, saved, raw, shutdown, net_tx, scout_tx, snmp_tx));
    (Receivers { net, scout, snmp }, task)
}

async fn run(
    file: Settings,
    saved: PathBuf,
    mut raw: watch::Receiver<Option<Arc<Vec<u8>>>>,
    mut shutdown: watch::Receiver<bool>,
    net_tx: watch::Sender<NetProbeConfig>,
    scout_tx: watch::Sender<ScoutConfig>,
    snmp_tx: watch::Sender<SnmpConfig>,
) {
    loop {
        tokio::select! {
            changed = raw.changed() => {
                if changed.is_err() {
                    return; // the link is gone: nothing more will come
                }
            }
            _ = shutdown.changed() => return,
        }
        let doc = raw.borrow_and_update().clone();
        let doc = doc.as_deref().map(Vec::as_slice);
        let (version, s) = match apply(&file, doc) {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!("pushed config ignored, keeping the last good one: {e}");
                continue;
            }
        };
        if let Err(e) = keep(&saved, doc) {
            tracing::warn!("cannot keep the pushed config in {}: {e}", saved.display());
        }
        if doc.is_some_and(|d| !d.is_empty()) {
            tracing::info!(
                version,
                scout_enabled = s.scout.enabled,
                sweep_interval_min = s.scout.sweep_interval_min,
                rate_per_s = s.scout.rate_per_s,
                max_prefix = s.scout.max_prefix,
                "pushed config applied"
            );
        } else {
            tracing::info!("pushed config cleared: back to agent.toml");
        }
        set_if_changed(&net_tx, s.net);
        set_if_changed(&scout_tx, s.scout);
        set_if_changed(&snmp_tx, s.snmp);
    }
}

fn set_if_changed<T: PartialEq>(tx: &watch::Sender<T>, value: T) {
    tx.send_if_modified(|cur| {
        if *cur == value {
            return false;
        }
        *cur = value;
        true
    });
}

/// Keep a good document for the next start (an empty one removes the saved copy).
fn keep(saved: &Path, doc: Option<&[u8]>) -> std::io::Result<()> {
    match doc {
        None => Ok(()),
        Some([]) => std::fs::remove_file(saved).or_else(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                Ok(())
            } else {
                Err(e)
            }
        }),
        Some(d) => crate::spool::write_atomic(saved, d),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn file() -> Settings {
        Settings {
            net: NetProbeConfig {
                interval_s: 120,
                ..NetProbeConfig::default()
            },
            scout: ScoutConfig {
                enabled: true,
                ..ScoutConfig::default()
            },
            snmp: SnmpConfig::default(),
        }
    }

    #[test]
    fn both_parts_or_neither() {
        let (v, s) = apply(
            &file(),
            Some(br#"{"version": 4, "net": {"pings": 2}, "discovery": {"rate_per_s": 300}}"#),
        )
        .unwrap();
        assert_eq!(v, 4);
        assert_eq!(s.net.pings, 2);
        assert_eq!(s.net.interval_s, 120);
        assert_eq!(s.scout.rate_per_s, 300);
        assert!(s.scout.enabled);

        assert_eq!(apply(&file(), None).unwrap().1, file());
        assert_eq!(apply(&file(), Some(b"")).unwrap().1, file());

        // A good net part does not carry a bad discovery part through, nor the reverse.
        for doc in [
            r#"{"net": {"pings": 2}, "discovery": {"rate_per_s": 0}}"#,
            r#"{"net": {"pings": 0}, "discovery": {"rate_per_s": 10}}"#,
            r#"{"discovery": {"max_prefix": 8}}"#,
            r#"{"discovery": {"sweep_interval_min": 0}}"#,
            r#"{"discovery": {"enabled": "yes"}}"#,
            r#"{"discovery": {"rate_per_s": -5}}"#,
            r#"{"discovery": 5}"#,
        ] {
            let e = apply(&file(), Some(doc.as_bytes())).unwrap_err();
            assert!(
                e.contains("discovery") || e.contains("net") || e.contains("shape"),
                "{doc}: {e}"
            );
        }
        let e = apply(&file(), Some(br#"{"discovery": {"rate_per_s": 5000}}"#)).unwrap_err();
        assert!(e.contains("discovery.rate_per_s"), "{e}");
    }

    async fn next<T: Clone>(rx: &mut watch::Receiver<T>) -> T {
        tokio::time::timeout(Duration::from_secs(5), rx.changed())
            .await
            .expect("a change within 5 s")
            .expect("sender alive");
        rx.borrow_and_update().clone()
    }

    #[tokio::test]
    async fn good_documents_apply_and_are_kept_bad_ones_change_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let (raw_tx, raw_rx) = watch::channel(None);
        let (_stop_tx, stop_rx) = watch::channel(false);
        let (mut rx, task) = spawn(file(), dir.path(), raw_rx, stop_rx);
        assert_eq!(*rx.scout.borrow(), file().scout, "nothing saved: the file");

        let good = br#"{"version": 1, "discovery": {"rate_per_s": 250, "sweep_interval_min": 2}}"#;
        raw_tx.send_replace(Some(Arc::new(good.to_vec())));
        let scout = next(&mut rx.scout).await;
        assert_eq!((scout.rate_per_s, scout.sweep_interval_min), (250, 2));
        assert!(
            !rx.net.has_changed().unwrap(),
            "net part unchanged: net loop not woken"
        );

        // Bad: ignored, and the saved copy is still the good one.
        raw_tx.send_replace(Some(Arc::new(
            br#"{"discovery": {"rate_per_s": 0}}"#.to_vec(),
        )));
        let off = br#"{"version": 2, "discovery": {"enabled": false}}"#;
        raw_tx.send_replace(Some(Arc::new(off.to_vec())));
        let scout = next(&mut rx.scout).await;
        assert!(!scout.enabled);
        assert_eq!(
            scout.rate_per_s, 50,
            "version 2 does not set it: the file's again"
        );
        let kept = std::fs::read(dir.path().join(SAVED_FILE)).unwrap();
        assert_eq!(kept, off);

        // A restart without a broker starts from the saved document.
        let (_raw2_tx, raw2_rx) = watch::channel(None);
        let (_stop2_tx, stop2_rx) = watch::channel(false);
        let (rx2, task2) = spawn(file(), dir.path(), raw2_rx, stop2_rx);
        assert!(!rx2.scout.borrow().enabled);

        // Cleared: back to the file, saved copy gone.
        raw_tx.send_replace(Some(Arc::new(Vec::new())));
        assert!(next(&mut rx.scout).await.enabled);
        assert!(!dir.path().join(SAVED_FILE).exists());

        // A saved document that is no longer good is ignored at start.
        std::fs::write(
            dir.path().join(SAVED_FILE),
            br#"{"discovery": {"max_prefix": 4}}"#,
        )
        .unwrap();
        let (_raw3_tx, raw3_rx) = watch::channel(None);
        let (_stop3_tx, stop3_rx) = watch::channel(false);
        let (rx3, task3) = spawn(file(), dir.path(), raw3_rx, stop3_rx);
        assert_eq!(*rx3.scout.borrow(), file().scout);

        drop(raw_tx);
        task.await.unwrap();
        task2.abort();
        task3.abort();
    }
}
