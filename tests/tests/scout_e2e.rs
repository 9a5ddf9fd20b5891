//! Discovery end to end: a real `pantau-agent run` with the scout role on a namespaced
//! Ethernet LAN, a real Mosquitto and a real collector, judged through the collector's API.
//!
//! Topology. `netns::Lan` builds a scout namespace holding a bridge, the scout's own port
//! `s0`, and one namespace per LAN host (each its own IP and MAC). Two more hosts share one
//! address with different MACs: an IP conflict. The broker and the collector run in the root
//! namespace as in every other end-to-end test, and the scout agent reaches the broker over
//! a veth pair from the root namespace into the scout namespace (`Lan::uplink`, a /30 in
//! 10.78.0.0/16) on a second Mosquitto listener bound to the root end. That was chosen over
//! starting broker and collector inside the namespace because it keeps the harness as it
//! is (the test talks to 127.0.0.1 as always) and is the real shape: the scout is one PC on
//! an OPD LAN and the broker is elsewhere. The agent's `[scout] interfaces = ["s0"]` keeps the
//! uplink out of its sweeps, as an operator would list the LAN port of a multi-homed scout.
//!
//! What is known: host 1's MAC is the nomor pabrik of a register asset, host 2's MAC is in
//! `[network] allow_macs`; host 3 and the two conflicting hosts are nobody's. The collector's
//! network job runs every second (`[network] interval_s = 1`) so flags follow reports at once.
//!
//! Then the collector drives the scout through the pushed config (`PUT
//! /api/v1/agent-config/agent/{id}`): a new rate and interval appear in the agent's next
//! `discovery` report (each sweep carries the rate it ran at, each report the interval);
//! disabling stops the scout and closes its sockets (its log says so); enabling it again
//! starts a fresh scout whose sweeps run at the rate set while it was off. A bad document sent
//! straight to the agent's config topic is refused by the agent, naming the field.

use pantau_tests::netns::Lan;
use pantau_tests::{
    bin, get_json, put_json, wait_for, wait_until, Agent, AgentOptions, Collector, Mosquitto,
    Publisher, PATIENCE,
};
use serde_json::{json, Value};
use std::process::Command;

const OPD: &str = "82.71.01.02.01";

fn devices(c: &Collector) -> Vec<Value> {
    get_json(&c.url(&format!("/api/v1/network/devices?opd={OPD}")))
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn flags(c: &Collector, kind: &str) -> Vec<Value> {
    get_json(&c.url(&format!("/api/v1/flags?kind={kind}")))
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The rates and interval of a `discovery` envelope.
fn sweep_settings(payload: &[u8]) -> (Vec<u64>, Option<u64>) {
    let v: Value = serde_json::from_slice(payload).expect("discovery envelope is JSON");
    let rates = v["body"]["subnets"]
        .as_array()
        .map(|a| a.iter().filter_map(|s| s["rate_per_s"].as_u64()).collect())
        .unwrap_or_default();
    (rates, v["body"]["sweep_interval_min"].as_u64())
}

#[test]
fn scout_agent_finds_the_lan_and_the_collector_judges_it() {
    let Some(mut lan) = Lan::build(3) else {
        return;
    };
    let conflict = [
        lan.add_host(50, "02:77:00:00:c0:01"),
        lan.add_host(50, "02:77:00:00:c0:02"),
    ];
    let uplink = lan.uplink();
    let (registered, allowed, rogue) = (&lan.hosts[0], &lan.hosts[1], &lan.hosts[2]);

    let broker = Mosquitto::start_also_on(uplink.root_ip);
    let collector = Collector::start_with(
        &broker,
        &format!(
            "\n[network]\ninterval_s = 1\nallow_macs = [{:?}]\n",
            allowed.mac.replace(':', "-")
        ),
    );
    let register = collector.dir().join("register.csv");
    std::fs::write(
        &register,
        format!(
            "kode_lokasi,kode_barang,nama_barang,nomor_register,merk,tipe,nomor_pabrik,kondisi\n\
             {OPD},1.3.2.10.02.03.001,Printer,000001,Epson,L3110,{},B\n",
            registered.mac.to_uppercase()
        ),
    )
    .unwrap();
    let out = Command::new(bin("pantau-collector"))
        .args(["register", "import"])
        .arg(&register)
        .arg("--config")
        .arg(collector.config_path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "register import: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    let mut scout_section = toml::Table::new();
    scout_section.insert("enabled".into(), true.into());
    scout_section.insert("interfaces".into(), vec![lan.scout_if.clone()].into());
    scout_section.insert("rate_per_s".into(), 200.into());
    let mut extra = toml::Table::new();
    extra.insert("scout".into(), scout_section.into());
    let opts = AgentOptions {
        opd: OPD.into(),
        broker_url: Some(broker.url_also()),
        extra,
        ..AgentOptions::default()
    };
    let mut agent = Agent::enroll(&collector, &broker, "e2e-scout", &opts);
    let id = agent.id().to_owned();
    let mut watcher = Publisher::connect(&broker, "test-discovery-watcher");
    let topic = format!("pantau/v1/{id}/discovery");
    agent.start_in(&lan.scout_ns);

    // Every host, with its own MAC; both MACs on the shared address.
    let all_found = wait_until(PATIENCE, || {
        agent.assert_running();
        let d = devices(&collector);
        lan.hosts.iter().all(|h| {
            d.iter()
                .any(|x| x["ip"] == h.ip.to_string() && x["mac"] == h.mac)
        })
    });
    let listed = devices(&collector);
    assert!(
        all_found,
        "not every host listed: {listed:#?}\n{}",
        agent.log()
    );
    assert!(
        listed.iter().all(|d| d["seen_by"]
            .as_array()
            .is_some_and(|s| s.iter().any(|x| x == id.as_str()))),
        "{listed:#?}"
    );
    assert!(
        listed.iter().all(|d| d["mac"] != lan.scout_mac.as_str()),
        "the scout listed itself: {listed:#?}"
    );

    // Unknown MACs are rogue, naming the article; the registered and allow-listed are not.
    let rogue_flag = wait_for(PATIENCE, || {
        flags(&collector, "rogue_device")
            .into_iter()
            .find(|f| f["subject"] == rogue.mac.as_str())
    })
    .unwrap_or_else(|| panic!("no rogue_device flag on {}", rogue.mac));
    assert!(
        rogue_flag["article"]
            .as_str()
            .is_some_and(|a| a.contains("Kotamobagu Pasal 26")),
        "{rogue_flag:#}"
    );
    assert_eq!(rogue_flag["opd"], OPD, "{rogue_flag:#}");
    let rogues = flags(&collector, "rogue_device");
    for known in [registered, allowed] {
        assert!(
            rogues.iter().all(|f| f["subject"] != known.mac.as_str()),
            "{} is known but flagged: {rogues:#?}",
            known.mac
        );
    }
    let status = |mac: &str| {
        devices(&collector)
            .into_iter()
            .find(|d| d["mac"] == mac)
            .map(|d| d["status"].clone())
    };
    assert_eq!(status(&rogue.mac), Some(json!("rogue")));
    assert_eq!(status(&registered.mac), Some(json!("known")));
    assert_eq!(status(&allowed.mac), Some(json!("known")));
    // The network page lists them the same way, and how full the OPD's planned range is.
    let cidr = format!("10.77.{}.0/24", lan.x);
    let (code, body) = put_json(
        &collector.url("/api/v1/ipplan"),
        &json!({ "range": [{ "opd": OPD, "cidr": cidr, "note": "LAN kantor" }] }),
    );
    assert_eq!(code, 200, "{body}");
    let (code, page) = pantau_tests::http::get(&collector.url("/jaringan")).unwrap();
    assert_eq!(code, 200);
    let row = |mac: &str| {
        page.split(&format!("data-mac=\"{mac}\""))
            .nth(1)
            .and_then(|r| r.split("</tr>").next())
            .unwrap_or_else(|| panic!("{mac} not on /jaringan"))
            .to_owned()
    };
    assert!(
        row(&rogue.mac).contains("tak dikenal"),
        "{}",
        row(&rogue.mac)
    );
    assert!(row(&registered.mac).contains("dikenal"));
    assert!(!row(&registered.mac).contains("tak dikenal"));
    let plan = page
        .split(&format!("data-cidr=\"{cidr}\""))
        .nth(1)
        .and_then(|r| r.split("</tr>").next())
        .unwrap_or_else(|| panic!("{cidr} not on /jaringan"));
    // 254 usable addresses; the LAN's hosts (and the scout) are in use.
    assert!(plan.contains(">254<"), "{plan}");

    // One address, two MACs: a conflict naming both.
    let shared = lan.hosts[conflict[0]].ip;
    let conflict_flag = wait_for(PATIENCE, || {
        flags(&collector, "ip_conflict")
            .into_iter()
            .find(|f| f["subject"] == format!("{OPD}/{shared}"))
    })
    .unwrap_or_else(|| panic!("no ip_conflict flag on {shared}"));
    for i in conflict {
        let mac = &lan.hosts[i].mac;
        assert!(
            conflict_flag["evidence"]["macs"].get(mac).is_some(),
            "{mac} missing: {conflict_flag:#}"
        );
        assert!(
            conflict_flag["summary"]
                .as_str()
                .unwrap()
                .contains(mac.as_str()),
            "{conflict_flag:#}"
        );
    }
    assert!(
        conflict_flag["article"]
            .as_str()
            .is_some_and(|a| a.contains("Kotamobagu Pasal 26")),
        "{conflict_flag:#}"
    );

    // The collector sets the pace: the next sweep runs at the pushed rate and interval.
    let layer_url = collector.url(&format!("/api/v1/agent-config/agent/{id}?by=test"));
    let set = |layer: Value| {
        let (code, body) = put_json(&layer_url, &layer);
        assert_eq!(code, 204, "PUT {layer}: {body}");
    };
    set(json!({"discovery": {"rate_per_s": 123, "sweep_interval_min": 7}}));
    let merged = get_json(&collector.url(&format!("/api/v1/hosts/{id}/config")));
    assert_eq!(
        merged["discovery"],
        json!({"rate_per_s": 123, "sweep_interval_min": 7}),
        "only what a layer sets is sent: {merged:#}"
    );
    let applied = watcher.first_matching(&topic, PATIENCE, |p| {
        sweep_settings(p) == (vec![123], Some(7))
    });
    assert!(
        applied.is_some(),
        "no sweep at the pushed rate\n{}",
        agent.log()
    );

    // Off: the scout stops. A rate set while it is off is the one it starts with again.
    set(json!({"discovery": {"enabled": false, "rate_per_s": 123, "sweep_interval_min": 7}}));
    assert!(
        wait_until(PATIENCE, || agent
            .log()
            .contains("scout stopped: discovery disabled")),
        "{}",
        agent.log()
    );
    set(json!({"discovery": {"enabled": false, "rate_per_s": 77, "sweep_interval_min": 7}}));
    assert!(
        wait_until(PATIENCE, || agent.log().contains("rate_per_s=77")),
        "the off-time change never arrived\n{}",
        agent.log()
    );
    set(json!({"discovery": {"enabled": true, "rate_per_s": 77, "sweep_interval_min": 7}}));
    let resumed = watcher.first_matching(&topic, PATIENCE, |p| {
        sweep_settings(p) == (vec![77], Some(7))
    });
    assert!(
        resumed.is_some(),
        "no sweep after re-enabling\n{}",
        agent.log()
    );
    assert_eq!(
        agent.log().matches("scout started").count(),
        2,
        "started at launch and again when re-enabled\n{}",
        agent.log()
    );

    // A document the agent refuses (sent past the collector, which would refuse it too)
    // changes nothing: the agent keeps running on the last good one.
    let mut admin = Publisher::connect(&broker, "test-admin");
    admin.publish_retained(
        &format!("pantau/v1/{id}/config"),
        r#"{"version": 999, "discovery": {"rate_per_s": 0}}"#,
    );
    assert!(
        wait_until(PATIENCE, || agent.log().contains("pushed config ignored")),
        "{}",
        agent.log()
    );
    assert!(
        agent.log().contains("discovery.rate_per_s"),
        "the refusal names the field\n{}",
        agent.log()
    );
    agent.assert_running();
}
