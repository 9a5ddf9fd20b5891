//! A small real fleet for end-to-end tests: `pantau-sim` agents over the test's broker, a
//! register with one unseen PC per OPD, and one reconciliation, so each OPD has a host, an
//! asset and flags.

use crate::process::{bin, wait_until, Proc};
use crate::{post_json, try_get_json, Collector, Mosquitto, PATIENCE};
use serde_json::json;
use std::process::Command;

/// The two OPDs; `pantau-sim` puts agent i (1-based) in 82.71.0{1 + (i-1) % 2}.01.01.
pub const OPD_A: &str = "82.71.01.01.01";
pub const OPD_B: &str = "82.71.02.01.01";
pub const HOST_A: &str = "sim-00001";
pub const HOST_B: &str = "sim-00002";

/// Run `cmd`; its stdout, or a panic with its stderr.
pub fn run_ok(cmd: &mut Command) -> String {
    let out = cmd.output().expect("run command");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Two simulated hosts (one per OPD, samples every 5 s), enrolled, reporting, a register of
/// two unseen PCs and one reconciliation run. The returned process is the running fleet.
pub fn two_opds(broker: &Mosquitto, collector: &Collector) -> Proc {
    let sim_dir = collector.dir().join("sim");
    let sim = |extra: &[&str]| {
        let mut cmd = Command::new(bin("pantau-sim"));
        cmd.args(["--agents", "2", "--opds", "2", "--interval", "5"])
            .arg("--broker")
            .arg(broker.url())
            .arg("--data")
            .arg(&sim_dir)
            .args(extra);
        cmd
    };
    run_ok(&mut sim(&["--enroll-only"]));
    let enrollment = sim_dir.join("enrollment.json");
    collector.cli(&["enroll", "import", enrollment.to_str().unwrap()], None);
    let mut fleet = Proc::new("pantau-sim", collector.dir().join("sim.log"));
    fleet.spawn(sim(&[]));
    let reported = wait_until(PATIENCE, || {
        [HOST_A, HOST_B].iter().all(|id| {
            try_get_json(&collector.url(&format!("/api/v1/hosts/{id}")))
                .is_ok_and(|h| h["inventory"].is_object())
        })
    });
    assert!(reported, "both simulated hosts should report");
    let csv = format!(
        "kode_lokasi,kode_barang,nama_barang,nomor_register,merk,tipe,nomor_pabrik,kondisi\n\
         {OPD_A},1.3.2.10.01.02.001,P.C Unit,000001,Acer,Veriton,SN-A-0001,B\n\
         {OPD_B},1.3.2.10.01.02.001,P.C Unit,000002,Acer,Veriton,SN-B-0002,B\n"
    );
    let file = collector.dir().join("register.csv");
    std::fs::write(&file, csv).unwrap();
    collector.cli(&["register", "import", file.to_str().unwrap()], None);
    let (status, report) = post_json(&collector.url("/api/v1/reconciliation/run"), &json!({}));
    assert_eq!(status, 200, "{report}");
    fleet
}

/// A collector and an enrolled, not yet started agent that reports `usage` every 5 s (full
/// snapshot hourly, network probes off), meant to run in its own network and PID namespaces:
/// `rig.agent.start_isolated(&rig.lan.scout_ns)`. This machine is shared with other tests
/// whose processes come and go; inside the namespaces the test decides what runs. Fields drop
/// in order: the agent before its broker and namespaces.
pub struct UsageRig {
    pub agent: crate::Agent,
    pub collector: Collector,
    pub broker: Mosquitto,
    pub lan: crate::netns::Lan,
}

/// `None` where network namespaces cannot be made (the test then has nothing to check).
pub fn usage_rig(agent_id: &str) -> Option<UsageRig> {
    let mut lan = crate::netns::Lan::build(0)?;
    let uplink = lan.uplink();
    let broker = Mosquitto::start_also_on(uplink.root_ip);
    let collector = Collector::start(&broker);
    let mut extra = toml::Table::new();
    extra.insert(
        "usage".into(),
        toml::toml! { interval_s = 5
        full_every_s = 3600 }
        .into(),
    );
    extra.insert("net".into(), toml::toml! { enabled = false }.into());
    let opts = crate::AgentOptions {
        broker_url: Some(broker.url_also()),
        extra,
        ..crate::AgentOptions::default()
    };
    let agent = crate::Agent::enroll(&collector, &broker, agent_id, &opts);
    Some(UsageRig {
        agent,
        collector,
        broker,
        lan,
    })
}

/// A `net` report as an agent of `id` signs it (seq 1, now): the gateway probe with `loss`
/// percent and a median RTT of `rtt` ms, and one HTTP check per `(name, up)` answering in
/// 80 ms (200 when up, 502 when not), whose certificate has `cert_days` left.
pub fn net_report(
    key: &pantau_proto::AgentKey,
    id: &str,
    loss: f64,
    rtt: f64,
    checks: &[(&str, bool)],
    cert_days: Option<i64>,
) -> pantau_proto::Envelope {
    use pantau_proto::body::net::{HttpResult, NetReport, ProbeResult};
    let now = chrono::Utc::now();
    let r = NetReport {
        ts: Some(now),
        gateway: Some("10.1.0.1".into()),
        probes: vec![ProbeResult {
            name: "gateway".into(),
            target: "10.1.0.1".into(),
            sent: 5,
            received: 5,
            loss_pct: loss,
            rtt_median_ms: Some(rtt),
            ..Default::default()
        }],
        http: checks
            .iter()
            .map(|(n, up)| HttpResult {
                name: n.to_string(),
                url: format!("https://{n}.example.go.id/"),
                status: Some(if *up { 200 } else { 502 }),
                ms: Some(80.0),
                cert_days_left: cert_days,
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    };
    let body = serde_json::to_value(&r).expect("net report as JSON");
    pantau_proto::Envelope::sign(key, id, 1, now, pantau_proto::Kind::Net, &body)
}
