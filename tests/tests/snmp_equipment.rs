//! Registered network equipment end to end: two register assets mapped to real SNMP agents
//! (net-snmp `snmpd` with a v3 authPriv user, `snmpsim` serving the recorded switch) through
//! the CLI and the API, with credentials from collector.toml profiles (the v3 passwords in
//! files). The collector pushes the targets with the profiles' credentials to the poller,
//! which polls both; the devices are matched to their assets, flags are raised as before,
//! the v3 passwords show in no log and no API answer, unknown profiles are refused, and two
//! rounds give interface history and a device page.

use pantau_tests::snmp::{Snmpd, Snmpsim, V3_AUTH, V3_PRIV, V3_USER};
use pantau_tests::{
    bin, get_json, get_text, put_json, wait_for, Agent, AgentOptions, Collector, Mosquitto,
    PATIENCE,
};
use serde_json::{json, Value};
use std::process::Command;

const OPD: &str = "82.71.01.01.01";

/// `pantau-collector ARGS --config ...`: success and the output.
fn cli(c: &Collector, args: &[&str]) -> (bool, String) {
    let out = Command::new(bin("pantau-collector"))
        .args(args)
        .arg("--config")
        .arg(c.config_path())
        .output()
        .expect("run pantau-collector");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn registered_equipment_is_polled_with_profile_credentials_and_matched() {
    let snmpd = Snmpd::start();
    let sim = Snmpsim::start();
    let broker = Mosquitto::start();
    let secrets = tempfile::tempdir().unwrap();
    let (auth_file, priv_file) = (secrets.path().join("auth"), secrets.path().join("priv"));
    std::fs::write(&auth_file, format!("{V3_AUTH}\n")).unwrap();
    std::fs::write(&priv_file, V3_PRIV).unwrap();
    let collector = Collector::start_with(
        &broker,
        &format!(
            "\n[snmp]\ninterval_s = 1\n\
             [snmp.profiles.aman]\nversion = \"v3\"\nuser = {V3_USER:?}\n\
             auth_password_file = {:?}\npriv_password_file = {:?}\n\
             [snmp.profiles.kantor]\nversion = \"v2c\"\ncommunity = \"switch\"\n",
            auth_file.display().to_string(),
            priv_file.display().to_string()
        ),
    );
    // Before any traffic: the CLI and the running collector share the database.
    collector.user_add("op-lain", "operator", &["0202"], "operator-lain-password");
    let mut agent = Agent::enroll(
        &collector,
        &broker,
        "poller-eq",
        &AgentOptions {
            opd: OPD.into(),
            ..AgentOptions::default()
        },
    );
    let text = std::fs::read_to_string(agent.config_path()).unwrap();
    let mut cfg: toml::Table = text.parse().unwrap();
    cfg.insert(
        "snmp".into(),
        toml::toml! { enabled = true interval_s = 10 timeout_ms = 1000 retries = 1 }.into(),
    );
    std::fs::write(agent.config_path(), toml::to_string(&cfg).unwrap()).unwrap();

    // The register: two switches, no IP column.
    let register = collector.dir().join("kib-b.csv");
    std::fs::write(
        &register,
        format!(
            "kode_lokasi,kode_barang,nama_barang,nomor_register,merk,tipe,nomor_pabrik,kondisi\n\
             {OPD},1.3.2.10.02.03.001,Switch,000001,Net-SNMP,snmpd,-,B\n\
             {OPD},1.3.2.10.02.03.001,Switch,000002,Cisco,C9300-48P,-,B\n"
        ),
    )
    .unwrap();
    let (ok, out) = cli(
        &collector,
        &["register", "import", register.to_str().unwrap()],
    );
    assert!(ok, "{out}");
    let assets = get_json(&collector.url("/api/v1/assets"));
    let key = |n: &str| -> String {
        assets
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["nomor_register"] == n)
            .unwrap_or_else(|| panic!("no asset {n}: {assets}"))["key"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (core, floor) = (key("000001"), key("000002"));

    // CLI import: one bad row (unknown profile) and nothing is stored; then the good file.
    let csv = |profile: &str| {
        format!(
            "asset_key,ip,port,profile,agent_id,uplinks\n\
             {core},127.0.0.1,{},{profile},poller-eq,lo\n",
            snmpd.port()
        )
    };
    let file = collector.dir().join("equipment.csv");
    std::fs::write(&file, csv("hilang")).unwrap();
    let (ok, out) = cli(
        &collector,
        &[
            "snmp",
            "equipment",
            "import",
            file.to_str().unwrap(),
            "--by",
            "admin-uji",
        ],
    );
    assert!(!ok, "{out}");
    assert!(
        out.contains(&format!(
            "{}:2:4: profile: no SNMP profile \"hilang\"",
            file.display()
        )),
        "{out}"
    );
    assert_eq!(
        get_json(&collector.url("/api/v1/snmp/equipment")),
        json!([])
    );
    std::fs::write(&file, csv("aman")).unwrap();
    let (ok, out) = cli(
        &collector,
        &[
            "snmp",
            "equipment",
            "import",
            file.to_str().unwrap(),
            "--by",
            "admin-uji",
        ],
    );
    assert!(ok, "{out}");

    // API: an unknown profile is refused naming the field, in the mapping and in a layer.
    let url = collector.url("/api/v1/snmp/equipment");
    let row = |profile: &str| {
        json!([{"asset_key": floor, "ip": "127.0.0.1", "port": sim.port(),
                "profile": profile, "agent_id": "poller-eq"}])
    };
    let (code, body) = put_json(&url, &row("hilang"));
    assert_eq!(code, 422, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .starts_with("[0].profile: no SNMP profile \"hilang\""),
        "{body}"
    );
    let (code, body) = put_json(
        &collector.url("/api/v1/agent-config/agent/poller-eq"),
        &json!({"snmp": {"targets": [{"name": "x", "host": "10.0.0.1", "profile": "hilang"}]}}),
    );
    assert_eq!(code, 422, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("snmp.targets[0].profile"),
        "{body}"
    );
    let (code, body) = put_json(&url, &row("kantor"));
    assert_eq!(code, 200, "{body}");
    let listed = get_json(&url);
    assert_eq!(listed.as_array().unwrap().len(), 2, "{listed}");

    agent.start();
    let devices = wait_for(PATIENCE, || {
        let d = get_json(&collector.url("/api/v1/snmp/devices"));
        let all = d.as_array()?;
        (all.len() == 2 && all.iter().all(|x| x["asset_key"].is_string())).then_some(d)
    })
    .unwrap_or_else(|| {
        panic!(
            "the two devices never showed matched\n{}\n{}",
            agent.log(),
            collector.log()
        )
    });
    let by = |k: &str| -> Value {
        devices
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["target"] == k)
            .cloned()
            .unwrap_or_else(|| panic!("no device {k}: {devices}"))
    };
    let (sw_core, sw_floor) = (by(&core), by(&floor));
    // Polled over v3 with the profile's passwords (read from files): reachable.
    assert_eq!(sw_core["reachable"], true, "{sw_core}");
    assert_eq!(sw_core["device"]["version"], "v3");
    assert_eq!(sw_core["device"]["system"]["name"], "sw-uji-snmpd");
    assert_eq!(
        (
            &sw_core["asset_key"],
            &sw_core["match_rule"],
            &sw_core["match_value"]
        ),
        (&json!(core), &json!("target"), &json!(core))
    );
    assert_eq!(sw_floor["reachable"], true, "{sw_floor}");
    assert_eq!(sw_floor["asset_key"], json!(floor));

    // Flags as before, on the register-named target.
    let subject = format!("poller-eq/{floor}#Te1/0/2");
    wait_for(PATIENCE, || {
        let f = get_json(&collector.url("/api/v1/flags?kind=uplink_down"));
        f.as_array()?
            .iter()
            .find(|f| f["subject"] == subject.as_str())
            .cloned()
    })
    .unwrap_or_else(|| panic!("no uplink_down on {subject}"));

    // Two rounds: utilization history of snmpd's ifIndex 1.
    let hist_url = collector.url(&format!(
        "/api/v1/snmp/devices/{}/interfaces/1/history?window=24h",
        sw_core["id"]
    ));
    let hist = wait_for(PATIENCE, || {
        let h = get_json(&hist_url);
        let s = h["series"].as_array()?;
        s.iter()
            .any(|x| x["name"] == "in_pct" && !x["points"].as_array().unwrap().is_empty())
            .then_some(h)
    })
    .unwrap_or_else(|| panic!("no history\n{}", agent.log()));
    assert_eq!(hist["resolution"], "raw", "{hist}");
    let bad = collector.url(&format!(
        "/api/v1/snmp/devices/{}/interfaces/1/history?window=1y",
        sw_core["id"]
    ));
    assert_eq!(pantau_tests::http::status(&bad), Some(400));

    // The page, linked from /jaringan, in Indonesian and English.
    let page_path = format!("/jaringan/snmp/{}", sw_core["id"]);
    assert!(get_text(&collector.url("/jaringan")).contains(&format!("href=\"{page_path}\"")));
    let page = get_text(&collector.url(&page_path));
    for want in [
        "Perangkat SNMP",
        "sw-uji-snmpd",
        core.as_str(),
        "nama target = kunci register",
        "<svg",
    ] {
        assert!(page.contains(want), "{want} not on the page:\n{page}");
    }
    let en = get_text(&collector.url(&format!("{page_path}?lang=en")));
    assert!(en.contains("target name = register key"), "{en}");
    let other = collector.url_as("op-lain", "operator-lain-password", &page_path);
    assert_eq!(pantau_tests::http::status(&other), Some(404));

    // The v3 passwords are in no log and no API answer; layers show the profile name.
    for path in [
        "/api/v1/agent-config",
        "/api/v1/hosts/poller-eq/config",
        "/api/v1/snmp/equipment",
        "/api/v1/snmp/devices",
        "/api/v1/audit",
    ] {
        let shown = get_json(&collector.url(path)).to_string();
        for secret in [V3_AUTH, V3_PRIV] {
            assert!(!shown.contains(secret), "{path}: {shown}");
        }
    }
    let merged = get_json(&collector.url("/api/v1/hosts/poller-eq/config"));
    assert_eq!(merged["snmp"]["targets"][0]["profile"], "aman", "{merged}");
    for (name, log) in [("agent", agent.log()), ("collector", collector.log())] {
        for secret in [V3_AUTH, V3_PRIV] {
            assert!(!log.contains(secret), "v3 password in the {name} log");
        }
    }
    let (ok, out) = cli(&collector, &["snmp", "equipment", "list"]);
    assert!(ok && out.contains(&core) && !out.contains(V3_AUTH), "{out}");

    // Removing a row through the API: audited, and the poller's merged config loses it.
    let del = format!(
        "/api/v1/snmp/equipment?asset_key={}",
        floor.replace('|', "%7C")
    );
    let (code, body) =
        pantau_tests::http::request("DELETE", &collector.url(&del), &[], None).unwrap();
    assert_eq!(code, 204, "{body}");
    let merged = get_json(&collector.url("/api/v1/hosts/poller-eq/config"));
    assert_eq!(
        merged["snmp"]["targets"].as_array().unwrap().len(),
        1,
        "{merged}"
    );
    let audit = get_json(&collector.url("/api/v1/audit")).to_string();
    for action in [
        "snmp_equipment.import",
        "snmp_equipment.put",
        "snmp_equipment.remove",
    ] {
        assert!(audit.contains(action), "{action} not audited: {audit}");
    }
}
