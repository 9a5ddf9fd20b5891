//! The SNMP poller against real agents: net-snmp's snmpd (v2c and v3 authPriv SHA/AES) and
//! snmpsim serving a recorded switch, printer and UPS. What the poller reports is compared
//! with what net-snmp's own `snmpbulkwalk` reads from the same agent.

use pantau_tests::snmp::{self, Snmpd, Snmpsim};
use serde_json::{json, Value};

fn device<'a>(report: &'a Value, target: &str) -> &'a Value {
    report["devices"]
        .as_array()
        .expect("devices")
        .iter()
        .find(|d| d["target"] == target)
        .unwrap_or_else(|| panic!("no device {target} in {report}"))
}

/// The value after `=` of each `snmpbulkwalk -On` line, by OID.
fn walked(lines: &[String]) -> std::collections::BTreeMap<String, String> {
    lines
        .iter()
        .filter_map(|l| l.split_once(" = "))
        .map(|(o, v)| {
            let v = v.split_once(": ").map_or(v, |(_, v)| v);
            (
                o.trim_start_matches('.').to_owned(),
                v.trim_matches('"').to_owned(),
            )
        })
        .collect()
}

#[test]
fn snmpd_v2c_and_v3_answer_and_bad_targets_fail_clearly() {
    let agent = Snmpd::start();
    let port = agent.port();
    let dead = snmp::free_udp_port();
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("targets.json");
    let v3 = |auth: &str| {
        json!({"version": "v3", "user": snmp::V3_USER, "auth_protocol": "sha",
               "auth_password": auth, "priv_protocol": "aes", "priv_password": snmp::V3_PRIV})
    };
    let v2c = |c: &str| json!({"version": "v2c", "community": c});
    std::fs::write(
        &cfg,
        json!({"timeout_ms": 300, "retries": 1, "targets": [
            {"name": "v2c", "host": "127.0.0.1", "port": port, "credentials": v2c(snmp::COMMUNITY)},
            {"name": "v3", "host": "127.0.0.1", "port": port, "credentials": v3(snmp::V3_AUTH)},
            {"name": "bad-community", "host": "127.0.0.1", "port": port, "credentials": v2c("salah")},
            {"name": "bad-v3-password", "host": "127.0.0.1", "port": port, "credentials": v3("salah-sandi")},
            {"name": "dead", "host": "127.0.0.1", "port": dead, "credentials": v2c("public")},
        ]})
        .to_string(),
    )
    .unwrap();
    let report = snmp::poll(&["--config", cfg.to_str().unwrap()]);

    let descr = walked(&snmp::bulkwalk(
        port,
        snmp::COMMUNITY,
        "1.3.6.1.2.1.2.2.1.2",
    ));
    assert!(!descr.is_empty(), "snmpbulkwalk read no interfaces");
    for name in ["v2c", "v3"] {
        let d = device(&report, name);
        assert_eq!(d["reachable"], true, "{name}: {d}");
        assert_eq!(d["error"], Value::Null);
        assert_eq!(d["system"]["name"], "sw-uji-snmpd");
        assert_eq!(d["system"]["location"], "Ruang Server Diskominfo");
        assert!(d["system"]["uptime_ticks"].as_u64().is_some());
        let mut ours: Vec<String> = d["interfaces"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["descr"].as_str().unwrap().to_owned())
            .collect();
        let mut theirs: Vec<String> = descr.values().cloned().collect();
        ours.sort();
        theirs.sort();
        assert_eq!(ours, theirs, "{name}: the same interfaces as snmpbulkwalk");
        let lo = d["interfaces"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["descr"] == "lo");
        assert_eq!(lo.expect("lo")["oper_status"], "up");
    }
    assert_eq!(device(&report, "v3")["version"], "v3");

    let bad = device(&report, "bad-community");
    assert_eq!(
        (&bad["reachable"], &bad["error_kind"]),
        (&json!(false), &json!("timeout"))
    );
    assert!(
        bad["error"].as_str().unwrap().contains("community"),
        "{bad}"
    );
    let bad = device(&report, "bad-v3-password");
    assert_eq!(
        (&bad["reachable"], &bad["error_kind"]),
        (&json!(false), &json!("auth"))
    );
    assert!(bad["error"].as_str().unwrap().contains("password"), "{bad}");
    let dead = device(&report, "dead");
    assert_eq!(dead["reachable"], false);
    assert!(dead["error"]
        .as_str()
        .unwrap()
        .contains(&format!("127.0.0.1:{}", dead_port(dead))));
    // Nothing secret in the report.
    let text = report.to_string();
    for secret in [snmp::COMMUNITY, snmp::V3_AUTH, snmp::V3_PRIV] {
        assert!(!text.contains(secret), "{secret} in the report");
    }
}

fn dead_port(d: &Value) -> u16 {
    d["address"]
        .as_str()
        .unwrap()
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn rates_come_from_the_second_round() {
    let agent = Snmpd::start();
    let target = format!("sw=127.0.0.1:{}", agent.port());
    let report = snmp::poll(&[
        "--target",
        &target,
        "--community",
        snmp::COMMUNITY,
        "--rounds",
        "2",
        "--every-s",
        "1",
    ]);
    let d = device(&report, "sw");
    let lo = d["interfaces"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["descr"] == "lo")
        .unwrap();
    assert!(lo["in_bps"].as_f64().is_some_and(|r| r >= 0.0), "{lo}");
    assert!(lo["errors_per_s"].as_f64().is_some(), "{lo}");
    assert_eq!(d["system"]["rebooted"], false);
}

#[test]
fn recorded_switch_printer_and_ups() {
    let sim = Snmpsim::start();
    let port = sim.port();
    let t = |n: &str| format!("{n}=127.0.0.1:{port}");
    let poll = |n: &str| snmp::poll(&["--target", &t(n), "--community", n]);

    let sw = poll("switch");
    let sw = device(&sw, "switch");
    assert_eq!(sw["reachable"], true, "{sw}");
    let ifs = sw["interfaces"].as_array().unwrap();
    assert_eq!(ifs.len(), 50);
    // Every 64-bit counter equals what snmpbulkwalk reads.
    let hc_in = walked(&snmp::bulkwalk(port, "switch", "1.3.6.1.2.1.31.1.1.1.6"));
    assert_eq!(hc_in.len(), 50);
    for i in ifs {
        let oid = format!("1.3.6.1.2.1.31.1.1.1.6.{}", i["index"]);
        assert_eq!(i["in_octets"].to_string(), hc_in[&oid], "{oid}");
        assert_eq!(i["hc"], true);
    }
    let te1 = ifs.iter().find(|i| i["name"] == "Te1/0/1").unwrap();
    assert_eq!(te1["in_octets"], 9_876_543_210_123u64, "beyond 32 bits");
    assert_eq!(te1["speed_bps"], 10_000_000_000u64);
    let te2 = ifs.iter().find(|i| i["name"] == "Te1/0/2").unwrap();
    assert_eq!(
        (&te2["uplink"], &te2["oper_status"]),
        (&json!(true), &json!("down"))
    );
    let gi7 = ifs.iter().find(|i| i["name"] == "Gi1/0/7").unwrap();
    assert_eq!(gi7["in_errors"], 1200);
    assert_eq!(gi7["mac"], "00:1b:54:ab:10:07");
    let chassis = &sw["entities"][0];
    assert_eq!(
        (&chassis["class"], &chassis["model"], &chassis["serial"]),
        (
            &json!("chassis"),
            &json!("WS-C2960X-48TS-L"),
            &json!("FOC2231X0AB")
        )
    );
    assert_eq!(sw["printer"], Value::Null);
    assert_eq!(sw["ups"], Value::Null);

    let pr = poll("printer");
    let p = &device(&pr, "printer")["printer"];
    assert_eq!(p["serial"], "VNB3R12345");
    assert_eq!(p["page_count"], 48213);
    assert_eq!(p["supplies"][0]["kind"], "toner");
    assert_eq!(p["supplies"][0]["level_pct"], 5.0);
    assert_eq!(p["supplies"][1]["level_pct"], Value::Null, "level unknown");

    let ups = poll("ups");
    let u = &device(&ups, "ups")["ups"];
    assert_eq!(u["model"], "Smart-UPS 1500");
    assert_eq!(
        (&u["battery_status"], &u["on_battery"]),
        (&json!("low"), &json!(true))
    );
    assert_eq!(
        (&u["minutes_remaining"], &u["charge_pct"]),
        (&json!(6), &json!(18))
    );
    assert_eq!(u["battery_bad"], true);
}

/// A 32-bit-only interface whose counter wraps between two rounds, then a reboot.
fn wrap_recording(uptime: u64, in_octets: u64) -> String {
    format!(
        "1.3.6.1.2.1.1.3.0|67|{uptime}\n1.3.6.1.2.1.1.5.0|4|wrap-dev\n\
         1.3.6.1.2.1.2.2.1.1.1|2|1\n1.3.6.1.2.1.2.2.1.2.1|4|eth0\n\
         1.3.6.1.2.1.2.2.1.5.1|66|1000000000\n1.3.6.1.2.1.2.2.1.8.1|2|1\n\
         1.3.6.1.2.1.2.2.1.10.1|65|{in_octets}\n1.3.6.1.2.1.2.2.1.16.1|65|0\n"
    )
}

#[test]
fn counter_wrap_and_reboot_across_rounds() {
    use std::io::{BufRead, Write};
    let sim = Snmpsim::start_with(&[("wrap", &wrap_recording(100_000, 4_294_967_000))]);
    let mut child = std::process::Command::new(pantau_tests::bin("pantau-agent"))
        .args([
            "snmp-poll",
            "--stdin-rounds",
            "--community",
            "wrap",
            "--target",
        ])
        .arg(format!("dev=127.0.0.1:{}", sim.port()))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let mut output = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut round = || -> Value {
        writeln!(input).unwrap();
        let mut line = String::new();
        output.read_line(&mut line).unwrap();
        let report: Value = serde_json::from_str(&line).unwrap();
        device(&report, "dev").clone()
    };
    let first = round();
    assert_eq!(first["interfaces"][0]["hc"], false);
    assert_eq!(
        first["interfaces"][0]["in_bps"],
        Value::Null,
        "no rate on the first round"
    );

    // 10 s of device time; the counter passed 2^32: 296 + 704 = 1,000 octets.
    sim.write("wrap", &wrap_recording(101_000, 704));
    let second = round();
    assert_eq!(second["interfaces"][0]["in_octets"], 704);
    assert_eq!(second["interfaces"][0]["in_bps"], 800.0, "{second}");
    assert_eq!(second["system"]["rebooted"], false);

    // sysUpTime went back: a reboot, no rate, a new baseline.
    sim.write("wrap", &wrap_recording(500, 100));
    let third = round();
    assert_eq!(third["system"]["rebooted"], true, "{third}");
    assert_eq!(third["interfaces"][0]["in_bps"], Value::Null);

    sim.write("wrap", &wrap_recording(1_500, 1_350));
    let fourth = round();
    assert_eq!(fourth["interfaces"][0]["in_bps"], 1_000.0, "{fourth}");
    drop(input);
    assert!(child.wait().unwrap().success());
}
