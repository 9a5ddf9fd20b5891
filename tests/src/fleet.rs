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
