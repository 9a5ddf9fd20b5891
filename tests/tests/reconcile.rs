//! Reconciliation end to end: simulated agents (`pantau-sim`, real agent code, real MQTT
//! connections) through a real Mosquitto into `pantau-collector serve`; a register written
//! from what they reported, imported with the CLI; then the outcomes, flags and operators'
//! decisions through the API.

use pantau_tests::process::Proc;
use pantau_tests::{
    bin, get_json, post_json, try_get_json, wait_until, Collector, Mosquitto, PATIENCE,
};
use serde_json::{json, Value};
use std::process::Command;

const SIMS: usize = 8;

fn run_ok(cmd: &mut Command) -> String {
    let out = cmd.output().expect("run command");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{cmd:?} failed:\n{text}");
    text
}

fn inventory(c: &Collector, id: &str) -> Option<Value> {
    try_get_json(&c.url(&format!("/api/v1/hosts/{id}")))
        .ok()
        .map(|h| h["inventory"].clone())
        .filter(|i| i.is_object())
}

fn flags(c: &Collector, query: &str) -> Vec<Value> {
    get_json(&c.url(&format!("/api/v1/flags{query}")))
        .as_array()
        .cloned()
        .unwrap()
}

fn reconcile(c: &Collector) -> Value {
    let (status, report) = post_json(&c.url("/api/v1/reconciliation/run"), &json!({}));
    assert_eq!(status, 200, "{report}");
    report
}

fn flag_on(flags: &[Value], kind: &str, subject: &str) -> Option<Value> {
    flags
        .iter()
        .find(|f| f["kind"] == kind && f["subject"] == subject)
        .cloned()
}

#[test]
fn register_and_fleet_are_reconciled_and_operators_decide() {
    let broker = Mosquitto::start();
    let collector = Collector::start(&broker);
    let sim_dir = collector.dir().join("sim");
    let sim = |extra: &[&str]| {
        let mut cmd = Command::new(bin("pantau-sim"));
        cmd.args([
            "--agents",
            &SIMS.to_string(),
            "--opds",
            "2",
            "--interval",
            "1",
        ])
        .arg("--broker")
        .arg(broker.url())
        .arg("--data")
        .arg(&sim_dir)
        .args(extra);
        cmd
    };
    run_ok(&mut sim(&["--enroll-only"]));
    run_ok(
        Command::new(bin("pantau-collector"))
            .args(["enroll", "import"])
            .arg(sim_dir.join("enrollment.json"))
            .arg("--config")
            .arg(collector.config_path()),
    );
    let mut fleet = Proc::new("pantau-sim", collector.dir().join("sim.log"));
    fleet.spawn(sim(&[]));

    let ids: Vec<String> = (1..=SIMS).map(|i| format!("sim-{i:05}")).collect();
    let mut inv: Vec<Value> = Vec::new();
    let reported = wait_until(PATIENCE, || {
        fleet.assert_running();
        inv = ids
            .iter()
            .filter_map(|id| inventory(&collector, id))
            .collect();
        inv.len() == SIMS
    });
    assert!(
        reported,
        "inventories of {SIMS} sims expected, got {}",
        inv.len()
    );
    let serial = |i: usize| inv[i]["system"]["serial"].as_str().unwrap().to_string();
    let model = |i: usize| inv[i]["system"]["model"].as_str().unwrap().to_string();
    // pantau-sim puts agent i (0-based) in 82.71.0{1 + i % 2}.01.01.
    let opd = |i: usize| format!("82.71.0{}.01.01", 1 + i % 2);

    // The register: sims 0-3 as they are, sim 4 under the other OPD, sim 5 with another
    // model, sims 6 and 7 missing; two PCs nobody reports, sharing one nomor pabrik.
    let mut csv = String::from(
        "kode_lokasi,kode_barang,nama_barang,nomor_register,merk,tipe,nomor_pabrik,kondisi\n",
    );
    for (i, host) in inv.iter().enumerate().take(6) {
        let (kode, tipe) = match i {
            4 => (opd(5), model(i)),
            5 => (opd(i), "OptiPlex 9020".to_string()),
            _ => (opd(i), model(i)),
        };
        let merk = host["system"]["vendor"].as_str().unwrap();
        csv += &format!(
            "{kode},1.3.2.10.01.02.001,P.C Unit,{:06},{merk},{tipe},{},B\n",
            i + 1,
            serial(i)
        );
    }
    for n in [7, 8] {
        csv += &format!(
            "82.71.01.01.01,1.3.2.10.01.02.001,P.C Unit,{n:06},Acer,Veriton M4690G,DTVR7SN0017230ABC,B\n"
        );
    }
    let file = collector.dir().join("register.csv");
    std::fs::write(&file, csv).unwrap();
    run_ok(
        Command::new(bin("pantau-collector"))
            .args(["register", "import"])
            .arg(&file)
            .arg("--config")
            .arg(collector.config_path()),
    );

    let report = reconcile(&collector);
    assert_eq!(report["unregistered"], 2, "{report}");
    assert_eq!(report["silent"], 2, "{report}");
    let summary = get_json(&collector.url("/api/v1/reconciliation"));
    let city = &summary["city"];
    assert_eq!(city["registered_ict"], 8, "{summary:#}");
    assert_eq!(city["matched"], 6, "{summary:#}");
    assert_eq!(city["unregistered"], 2, "{summary:#}");
    assert_eq!(city["silent"], 2, "{summary:#}");

    let open = flags(&collector, "");
    for id in [&ids[6], &ids[7]] {
        assert!(flag_on(&open, "unregistered", id).is_some(), "{open:#?}");
    }
    let loc = flag_on(&open, "location_mismatch", &ids[4]).expect("location mismatch");
    assert!(loc["article"].as_str().unwrap().contains("Pasal 12 ayat 7"));
    assert!(
        flag_on(&open, "hardware_mismatch", &ids[5]).is_some(),
        "{open:#?}"
    );
    let dup = open
        .iter()
        .find(|f| f["kind"] == "duplicate_register_entry")
        .expect("duplicate nomor pabrik flagged");
    assert_eq!(dup["subject_kind"], "serial");
    assert_eq!(
        open.iter().filter(|f| f["kind"] == "silent").count(),
        2,
        "{open:#?}"
    );
    // Every matched asset whose health suggests worse than its registered Baik is flagged,
    // with the evidence (the simulator gives some hosts bad sectors, failing drives, weak
    // batteries or unclean shutdowns).
    let worse: u64 = city["suggested_condition"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| k.as_str() != "B")
        .map(|(_, v)| v.as_u64().unwrap())
        .sum();
    let discrepancies: Vec<&Value> = open
        .iter()
        .filter(|f| f["kind"] == "condition_discrepancy")
        .collect();
    assert!(
        worse > 0,
        "the simulated fleet has unhealthy hosts: {summary:#}"
    );
    assert_eq!(discrepancies.len() as u64, worse, "{summary:#}\n{open:#?}");
    for f in &discrepancies {
        assert!(
            f["article"].as_str().unwrap().contains("Pasal 12 ayat 13"),
            "{f:#}"
        );
        assert!(!f["evidence"].to_string().is_empty(), "{f:#}");
    }

    // Bad filters are refused with the field named.
    let (status, _) = pantau_tests::http::get(&collector.url("/api/v1/flags?kind=nope")).unwrap();
    assert_eq!(status, 422);

    // An operator links sim 6 to one of the silent PCs: it is matched, and its
    // unregistered flag is resolved by the collector on the next run.
    let silent_key = "82.71.01.01.01|1.3.2.10.01.02.001|000007";
    let decide = |what: &str| {
        post_json(
            &collector.url(&format!("/api/v1/reconciliation/{what}")),
            &json!({ "agent_id": ids[6], "asset_key": silent_key, "by": "andi", "note": "cek fisik" }),
        )
    };
    let (status, body) = decide("link");
    assert_eq!(status, 200, "{body}");
    let report = reconcile(&collector);
    assert_eq!(report["unregistered"], 1, "{report}");
    let all = flags(&collector, "?state=all");
    let unreg = flag_on(&all, "unregistered", &ids[6]).unwrap();
    assert_eq!(unreg["state"], "resolved");
    assert_eq!(unreg["resolved_by"], "pantau");

    // Confirming what the rules matched is accepted (and audited); confirming a pair the
    // rules never proposed is refused, pointing to link.
    let pair =
        |agent: &str, key: &str| json!({ "agent_id": agent, "asset_key": key, "by": "andi" });
    let (status, body) = post_json(
        &collector.url("/api/v1/reconciliation/confirm"),
        &pair(&ids[0], &format!("{}|1.3.2.10.01.02.001|000001", opd(0))),
    );
    assert_eq!(status, 200, "{body}");
    let (status, body) = post_json(
        &collector.url("/api/v1/reconciliation/confirm"),
        &pair(&ids[7], silent_key),
    );
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("use link"),
        "{body}"
    );

    // Acknowledge the location mismatch; it stays acknowledged while the problem lasts.
    let id = loc["id"].as_i64().unwrap();
    let (status, f) = post_json(
        &collector.url(&format!("/api/v1/flags/{id}/ack")),
        &json!({ "by": "andi", "note": "mutasi sedang diproses" }),
    );
    assert_eq!((status, f["state"].as_str()), (200, Some("acknowledged")));
    reconcile(&collector);
    let still = flag_on(&flags(&collector, ""), "location_mismatch", &ids[4]).unwrap();
    assert_eq!(still["state"], "acknowledged");
    // The signed-in user acts; the body's `by` (from before accounts) is ignored.
    assert_eq!(still["ack_by"], pantau_tests::collector::ADMIN.0, "{still}");

    // Unlink: sim 6 is unregistered again and the same flag reopens.
    let (status, body) = decide("unlink");
    assert_eq!(status, 200, "{body}");
    reconcile(&collector);
    let again = flag_on(&flags(&collector, ""), "unregistered", &ids[6]).unwrap();
    assert_eq!(
        (again["state"].as_str(), again["reopen_count"].as_i64()),
        (Some("open"), Some(1))
    );
    assert_eq!(again["id"], unreg["id"], "one flag per subject and kind");

    // The CLI prints the same summary.
    let text = run_ok(
        Command::new(bin("pantau-collector"))
            .args(["reconcile", "--lang", "en", "--config"])
            .arg(collector.config_path()),
    );
    assert!(
        text.contains("6 matched, 0 in review, 2 unregistered, 2 silent"),
        "{text}"
    );
    fleet.terminate(std::time::Duration::from_secs(10));
}
