//! `/metrics`: the collector's own counters (ingest, see `telemetry.rs`) and the fleet's state
//! per OPD, computed from the store at scrape time so it is never stale. Labels are bounded:
//! OPDs, flag kinds, probe and service names from the config — never hosts, so a city of
//! 10,000 PCs still gives a few thousand series. Every series here is drawn by a dashboard in
//! `dashboards/`, whose queries `tests/tests/grafana.rs` runs against a real Prometheus.
//!
//! | metric | labels | meaning |
//! |---|---|---|
//! | `pantau_hosts` | opd, state | enrolled hosts online/offline |
//! | `pantau_reconcile_assets` | opd, state | registered ICT assets and hosts by reconciliation state |
//! | `pantau_flags_open` | opd, kind | open or acknowledged flags |
//! | `pantau_opd_utilization_pct` | opd, resource, stat | CPU/memory/disk use of the OPD's online hosts (latest sample): `avg`, `max` |
//! | `pantau_net_agents_reporting` | opd | agents whose latest network report is recent |
//! | `pantau_net_gateway_loss_pct` | opd | mean gateway packet loss of those reports |
//! | `pantau_net_gateway_rtt_ms` | opd | median gateway round-trip time |
//! | `pantau_service_up` | service | 1 unless the e-Gov service fails from enough OPDs to be `down` |
//! | `pantau_service_opds` | service, state | OPDs passing (`ok`) and failing the check |
//! | `pantau_service_response_ms` | service | median response time of passing checks |
//! | `pantau_service_cert_days_left` | service | days until the certificate expires (lowest seen) |
//! | `pantau_snmp_devices` | opd, state | SNMP devices reachable/unreachable in the last round |
//! | `pantau_snmp_max_utilization_pct` | opd | the busiest interface of the OPD's SNMP devices |

use super::{ApiResult, AppState};
use crate::network::health;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use chrono::Utc;
use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use std::collections::BTreeMap;
use std::sync::atomic::AtomicU64;

pub fn routes() -> Router<AppState> {
    Router::new().route("/metrics", get(prometheus))
}

type Level = Gauge<f64, AtomicU64>;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OpdState {
    opd: String,
    state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OpdKind {
    opd: String,
    kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Opd {
    opd: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Use {
    opd: String,
    resource: String,
    stat: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Service {
    service: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ServiceState {
    service: String,
    state: String,
}

fn opd_state(opd: &str, state: &str) -> OpdState {
    OpdState {
        opd: opd.to_owned(),
        state: state.to_owned(),
    }
}

async fn prometheus(State(s): State<AppState>) -> ApiResult<impl IntoResponse> {
    let mut text = String::new();
    encode(&mut text, &s.telemetry.registry)
        .map_err(|e| anyhow::anyhow!("encoding metrics: {e}"))?;
    let mut reg = Registry::with_prefix("pantau");
    fleet(&s, &mut reg).await?;
    network(&s, &mut reg).await?;
    let mut more = String::new();
    encode(&mut more, &reg).map_err(|e| anyhow::anyhow!("encoding metrics: {e}"))?;
    // Both encodings end with "# EOF"; keep one, at the very end.
    let text = text.trim_end().trim_end_matches("# EOF").to_owned() + &more;
    Ok((
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    ))
}

/// Hosts, reconciliation, flags and utilization per OPD.
async fn fleet(s: &AppState, reg: &mut Registry) -> anyhow::Result<()> {
    let hosts = Family::<OpdState, Gauge>::default();
    for o in s.store.hosts_by_opd().await? {
        hosts
            .get_or_create(&opd_state(&o.opd, "online"))
            .set(o.online as i64);
        hosts
            .get_or_create(&opd_state(&o.opd, "offline"))
            .set(o.offline as i64);
    }
    reg.register("hosts", "Enrolled hosts by OPD and connection state", hosts);

    let summary = s
        .store
        .reconcile_summary(&s.reconcile.rules.ict_prefix)
        .await?;
    let assets = Family::<OpdState, Gauge>::default();
    let flags = Family::<OpdKind, Gauge>::default();
    for o in &summary.opds {
        for (state, n) in [
            ("registered", o.registered_ict),
            ("matched", o.matched),
            ("silent", o.silent),
            ("unregistered", o.unregistered),
            ("review", o.in_review),
        ] {
            assets
                .get_or_create(&opd_state(&o.kode_lokasi, state))
                .set(n as i64);
        }
        for (kind, n) in &o.open_flags {
            let key = OpdKind {
                opd: o.kode_lokasi.clone(),
                kind: kind.clone(),
            };
            flags.get_or_create(&key).set(*n as i64);
        }
    }
    reg.register(
        "reconcile_assets",
        "ICT assets and hosts by OPD and reconciliation state (registered, matched, silent, unregistered, review)",
        assets,
    );
    reg.register(
        "flags_open",
        "Open or acknowledged flags by OPD and kind",
        flags,
    );

    // Latest sample of each online host, averaged and maxed per OPD.
    let mut by: BTreeMap<(String, &'static str), Vec<f64>> = BTreeMap::new();
    for h in s.store.hosts().await?.into_iter().filter(|h| h.online) {
        for (resource, v) in [
            ("cpu", h.cpu_pct),
            ("memory", h.mem_pct),
            ("disk", h.disk_pct),
        ] {
            if let Some(v) = v {
                by.entry((h.opd.clone(), resource)).or_default().push(v);
            }
        }
    }
    let usage = Family::<Use, Level>::default();
    for ((opd, resource), v) in by {
        let key = |stat: &str| Use {
            opd: opd.clone(),
            resource: resource.to_owned(),
            stat: stat.to_owned(),
        };
        usage
            .get_or_create(&key("avg"))
            .set(v.iter().sum::<f64>() / v.len() as f64);
        usage
            .get_or_create(&key("max"))
            .set(v.iter().copied().fold(f64::MIN, f64::max));
    }
    reg.register(
        "opd_utilization_pct",
        "CPU, memory and disk use of the OPD's online hosts, latest sample (avg and max)",
        usage,
    );
    Ok(())
}

/// Network health per OPD, e-Gov services, SNMP devices.
async fn network(s: &AppState, reg: &mut Registry) -> anyhow::Result<()> {
    let latest = s.store.latest_net().await?;
    let now = Utc::now();
    let (reporting, loss, rtt) = (
        Family::<Opd, Gauge>::default(),
        Family::<Opd, Level>::default(),
        Family::<Opd, Level>::default(),
    );
    for v in health::opd_views(&latest, now, &s.network) {
        let key = Opd { opd: v.opd.clone() };
        reporting.get_or_create(&key).set(v.agents_reporting as i64);
        if let Some(l) = v.gateway_loss_pct {
            loss.get_or_create(&key).set(l);
        }
        if let Some(r) = v.gateway_rtt_ms {
            rtt.get_or_create(&key).set(r);
        }
    }
    reg.register(
        "net_agents_reporting",
        "Agents whose latest network report is recent",
        reporting,
    );
    reg.register("net_gateway_loss_pct", "Mean gateway packet loss", loss);
    reg.register("net_gateway_rtt_ms", "Median gateway round-trip time", rtt);

    let (up, opds, ms, cert) = (
        Family::<Service, Gauge>::default(),
        Family::<ServiceState, Gauge>::default(),
        Family::<Service, Level>::default(),
        Family::<Service, Gauge>::default(),
    );
    for svc in health::services(&latest, now, &s.network) {
        let key = Service {
            service: svc.name.clone(),
        };
        up.get_or_create(&key).set(i64::from(!svc.down));
        for (state, n) in [
            ("ok", svc.opds_ok.len()),
            ("failing", svc.opds_failing.len()),
        ] {
            let k = ServiceState {
                service: svc.name.clone(),
                state: state.into(),
            };
            opds.get_or_create(&k).set(n as i64);
        }
        if let Some(m) = svc.median_ms {
            ms.get_or_create(&key).set(m);
        }
        if let Some(d) = svc.cert_days_left {
            cert.get_or_create(&key).set(d);
        }
    }
    reg.register("service_up", "e-Gov service not down (1) or down (0)", up);
    reg.register("service_opds", "OPDs passing and failing the check", opds);
    reg.register(
        "service_response_ms",
        "Median response time of passing checks",
        ms,
    );
    reg.register(
        "service_cert_days_left",
        "Days until the service's certificate expires (lowest seen)",
        cert,
    );

    let (devices, busiest) = (
        Family::<OpdState, Gauge>::default(),
        Family::<Opd, Level>::default(),
    );
    let mut max_by: BTreeMap<String, f64> = BTreeMap::new();
    for d in s.store.snmp_devices(None).await? {
        // Both states get a series, so "0 unreachable" is a value and not a missing series.
        for (state, this) in [("reachable", d.reachable), ("unreachable", !d.reachable)] {
            devices
                .get_or_create(&opd_state(&d.opd, state))
                .inc_by(i64::from(this));
        }
        if let Some(u) = d.max_utilization_pct {
            let m = max_by.entry(d.opd.clone()).or_insert(0.0);
            *m = m.max(u);
        }
    }
    for (opd, m) in max_by {
        busiest.get_or_create(&Opd { opd }).set(m);
    }
    reg.register(
        "snmp_devices",
        "SNMP devices by reachability in the last round",
        devices,
    );
    reg.register(
        "snmp_max_utilization_pct",
        "The busiest interface of the OPD's SNMP devices",
        busiest,
    );
    Ok(())
}
