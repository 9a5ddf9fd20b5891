//! Access end to end: an operator of OPD A asks for OPD B's host, flag and asset through
//! every route the collector has (`pantau-collector routes --json`; a route this test does
//! not know fails it), and gets 404 or 403, or lists without B; an auditor writes nothing;
//! an API token works; changes and refusals are in the audit log.

use pantau_tests::fleet::{run_ok, two_opds as setup, HOST_A, HOST_B, OPD_A, OPD_B};
use pantau_tests::http::{post_form, request};
use pantau_tests::{bin, get_json, Collector, Mosquitto};
use serde_json::{json, Value};
use std::process::Command;

/// What an operator of A must get for one route, given B's ids.
enum Expect {
    /// 200, and nothing of OPD B in the body.
    ListWithoutB,
    /// 404 (B's thing does not exist for them) or 403.
    Refused,
    /// Not about OPD data (open, login, who am I).
    Skip,
}

struct Case {
    path: String,
    body: Option<Value>,
    expect: Expect,
    /// Sent as an HTML form (the dashboard's own forms), not JSON.
    form: Option<String>,
}

fn case(method: &str, route: &str, flag_b: i64, asset_b: &str, report_b: i64) -> Option<Case> {
    use Expect::*;
    let c = |path: String, body: Option<Value>, expect| {
        Some(Case {
            path,
            body,
            expect,
            form: None,
        })
    };
    let decision = json!({ "agent_id": HOST_B, "asset_key": asset_b, "note": "x" });
    match (method, route) {
        ("GET", "/login")
        | ("POST", "/login")
        | ("POST", "/logout")
        | ("GET", "/api/v1/health")
        | ("POST", "/api/v1/enroll")
        | ("GET", "/metrics")
        // The API description: the same for everyone, and no data.
        | ("GET", "/openapi.json")
        // The agent install script: the same for everyone, and no data.
        | ("GET", "/install.sh")
        | ("GET", "/api/v1/me") => c(route.into(), None, Skip),
        ("GET", "/") => c("/".into(), None, ListWithoutB),
        ("GET", "/temuan") => c(route.into(), None, ListWithoutB),
        ("GET", "/temuan/{id}") => c(format!("/temuan/{flag_b}"), None, Refused),
        ("POST", "/temuan/{id}") => Some(Case {
            path: format!("/temuan/{flag_b}"),
            body: None,
            expect: Refused,
            form: Some("action=ack&note=x".into()),
        }),
        ("GET", "/host/{agent_id}") => c(format!("/host/{HOST_B}"), None, Refused),
        ("GET", "/aset") => c(route.into(), None, ListWithoutB),
        ("GET", "/opd/{kode}") => c(format!("/opd/{OPD_B}"), None, Refused),
        ("POST", "/aset/keputusan") => Some(Case {
            path: route.into(),
            body: None,
            expect: Refused,
            form: Some(format!("kind=link&agent_id={HOST_B}&asset_key={asset_b}")),
        }),
        ("GET", "/api/v1/audit") => c(route.into(), None, Refused),
        ("GET", "/api/v1/hosts") => c(route.into(), None, ListWithoutB),
        ("GET", "/api/v1/hosts/{agent_id}") => c(format!("/api/v1/hosts/{HOST_B}"), None, Refused),
        ("GET", "/api/v1/hosts/{agent_id}/metrics") => {
            c(format!("/api/v1/hosts/{HOST_B}/metrics"), None, Refused)
        }
        ("GET", "/api/v1/hosts/{agent_id}/config") => {
            c(format!("/api/v1/hosts/{HOST_B}/config"), None, Refused)
        }
        ("GET", "/api/v1/assets") => c(route.into(), None, ListWithoutB),
        ("GET", "/api/v1/assets/export") => c(
            format!("/api/v1/assets/export?format=csv&opd={OPD_B}"),
            None,
            Refused,
        ),
        ("POST", "/api/v1/assets/import") => c(route.into(), Some(json!("x")), Refused),
        ("GET", "/api/v1/reconciliation") => c(route.into(), None, ListWithoutB),
        ("GET", "/api/v1/reconciliation/review") => c(route.into(), None, ListWithoutB),
        ("POST", "/api/v1/reconciliation/run") => c(route.into(), Some(json!({})), Refused),
        (
            "POST",
            "/api/v1/reconciliation/link"
            | "/api/v1/reconciliation/confirm"
            | "/api/v1/reconciliation/unlink",
        ) => c(route.into(), Some(decision), Refused),
        ("GET", "/api/v1/flags") => c(format!("{route}?state=all"), None, ListWithoutB),
        ("GET", "/api/v1/flags/{id}") => c(format!("/api/v1/flags/{flag_b}"), None, Refused),
        ("POST", "/api/v1/flags/{id}/ack") => c(
            format!("/api/v1/flags/{flag_b}/ack"),
            Some(json!({})),
            Refused,
        ),
        ("POST", "/api/v1/flags/{id}/resolve") => c(
            format!("/api/v1/flags/{flag_b}/resolve"),
            Some(json!({})),
            Refused,
        ),
        ("GET", "/api/v1/ipplan") => c(route.into(), None, ListWithoutB),
        ("PUT", "/api/v1/ipplan") => c(
            route.into(),
            Some(json!({ "range": [{ "opd": OPD_A, "cidr": "10.9.0.0/24" }] })),
            Refused,
        ),
        ("GET", "/api/v1/network/opd" | "/api/v1/network/services" | "/api/v1/network/devices") => {
            c(route.into(), None, ListWithoutB)
        }
        ("GET", "/jaringan") => c(route.into(), None, ListWithoutB),
        ("GET", "/api/v1/network/opd/{opd}/history") => c(
            format!("/api/v1/network/opd/{OPD_B}/history?window=24h"),
            None,
            Refused,
        ),
        // No poller in this fleet: the lists are empty and any id is 404; the scoping itself
        // is `Caller::sees` on each device's OPD (collector/src/web/snmp.rs).
        ("GET", "/api/v1/snmp/devices") => c(route.into(), None, ListWithoutB),
        ("GET", "/api/v1/snmp/devices/{id}/interfaces") => {
            c("/api/v1/snmp/devices/1/interfaces".into(), None, Refused)
        }
        ("GET", "/api/v1/snmp/devices/{id}/interfaces/{ifindex}/history") => c(
            "/api/v1/snmp/devices/1/interfaces/1/history".into(),
            None,
            Refused,
        ),
        ("GET", "/jaringan/snmp/{id}") => c("/jaringan/snmp/1".into(), None, Refused),
        // The equipment mapping: B's asset can be neither mapped nor unmapped by A's operator.
        ("GET", "/api/v1/snmp/equipment") => c(route.into(), None, ListWithoutB),
        ("PUT", "/api/v1/snmp/equipment") => c(
            route.into(),
            Some(
                json!([{ "asset_key": asset_b, "ip": "10.2.0.9", "profile": "p", "agent_id": HOST_B }]),
            ),
            Refused,
        ),
        ("DELETE", "/api/v1/snmp/equipment") => c(
            format!("{route}?asset_key={}", asset_b.replace('|', "%7C")),
            None,
            Refused,
        ),
        ("GET", "/api/v1/agent-config") => c(route.into(), None, ListWithoutB),
        ("PUT" | "DELETE", "/api/v1/agent-config/global") => {
            c(route.into(), Some(json!({})), Refused)
        }
        ("PUT" | "DELETE", "/api/v1/agent-config/{scope}/{key}") => c(
            format!("/api/v1/agent-config/agent/{HOST_B}"),
            Some(json!({ "net": { "interval_s": 120 } })),
            Refused,
        ),
        // The policy is city-wide, not any OPD's data: every signed-in user reads it.
        ("GET", "/api/v1/policy" | "/api/v1/policy/versions") => c(route.into(), None, Skip),
        ("PUT", "/api/v1/policy") => c(route.into(), Some(json!("x")), Refused),
        ("GET", "/api/v1/usage/{agent_id}") => c(format!("/api/v1/usage/{HOST_B}"), None, Refused),
        // Periodic reports (issue 8): B's report exists (the admin made it) and is hidden.
        ("GET", "/laporan") | ("GET", "/api/v1/reports") => c(route.into(), None, ListWithoutB),
        ("GET", "/api/v1/reports/{id}/download") => c(
            format!("/api/v1/reports/{report_b}/download"),
            None,
            Refused,
        ),
        ("POST", "/laporan") => Some(Case {
            path: route.into(),
            body: None,
            expect: Refused,
            form: Some(format!("period=2026-10&opd={OPD_B}")),
        }),
        ("POST", "/api/v1/reports") => c(
            route.into(),
            Some(json!({ "period": "2026-10", "opd": OPD_B, "formats": ["html"] })),
            Refused,
        ),
        _ => None,
    }
}

#[test]
fn an_operator_of_one_opd_reaches_nothing_of_another_through_any_route() {
    let broker = Mosquitto::start();
    let collector = Collector::start(&broker);
    let _fleet = setup(&broker, &collector);
    collector.user_add("op-a", "operator", &[OPD_A], "operator-a-password");
    collector.user_add("inspektorat", "auditor", &[], "auditor-password");
    // Admin puts something of B in the lists an operator must not see.
    let (status, body) = request(
        "PUT",
        &collector.url("/api/v1/ipplan"),
        &[],
        Some(&json!({ "range": [{ "opd": OPD_A, "cidr": "10.1.0.0/24" }, { "opd": OPD_B, "cidr": "10.2.0.0/24" }] })),
    )
    .unwrap();
    assert_eq!(status, 200, "{body}");
    let (status, _) = request(
        "PUT",
        &collector.url(&format!("/api/v1/agent-config/opd/{OPD_B}")),
        &[],
        Some(&json!({ "net": { "interval_s": 120 } })),
    )
    .unwrap();
    assert_eq!(status, 204);

    let (status, body) = request(
        "POST",
        &collector.url("/api/v1/reports"),
        &[],
        Some(&json!({ "period": "2026-10", "opd": OPD_B, "formats": ["html"] })),
    )
    .unwrap();
    assert_eq!(status, 201, "{body}");
    let report_b = serde_json::from_str::<Value>(&body).unwrap()[0]["id"]
        .as_i64()
        .unwrap();

    let flags = get_json(&collector.url(&format!("/api/v1/flags?opd={OPD_B}")));
    let flag_b = flags[0]["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("a flag in B: {flags}"));
    let assets = get_json(&collector.url(&format!("/api/v1/assets?opd={OPD_B}")));
    let asset_b = assets[0]["key"].as_str().unwrap().to_owned();

    // The control: the same operator sees their own OPD, so a refusal below means scoping.
    let op = |path: &str| collector.url_as("op-a", "operator-a-password", path);
    let own = get_json(&op(&format!("/api/v1/hosts/{HOST_A}")));
    assert_eq!(own["opd"], OPD_A);
    let hosts = get_json(&op("/api/v1/hosts"));
    assert_eq!(hosts.as_array().unwrap().len(), 1, "{hosts}");

    let routes: Vec<Value> = serde_json::from_str(&run_ok(
        Command::new(bin("pantau-collector")).args(["routes", "--json"]),
    ))
    .unwrap();
    assert!(routes.len() > 20, "{routes:?}");
    for r in &routes {
        let (method, route) = (r["method"].as_str().unwrap(), r["path"].as_str().unwrap());
        let Some(case) = case(method, route, flag_b, &asset_b, report_b) else {
            panic!("{method} {route}: no access case in tests/tests/access.rs; add one saying what an operator of another OPD gets");
        };
        let (status, body) = match &case.form {
            Some(form) => post_form(&op(&case.path), form),
            None => request(method, &op(&case.path), &[], case.body.as_ref()),
        }
        .unwrap();
        match case.expect {
            Expect::Skip => {}
            Expect::Refused => assert!(
                status == 404 || status == 403,
                "{method} {}: operator of A got {status}: {body}",
                case.path
            ),
            Expect::ListWithoutB => {
                assert_eq!(status, 200, "{method} {}: {body}", case.path);
                for b in [OPD_B, HOST_B, asset_b.as_str()] {
                    assert!(
                        !body.contains(b),
                        "{method} {}: {b} leaked: {body}",
                        case.path
                    );
                }
            }
        }
        // An auditor changes nothing, anywhere. (Enrollment is open: the enrollment token is
        // the credential, whoever sends it; tests/tests/enroll.rs covers it.)
        if method != "GET" && !route.starts_with("/log") && route != "/api/v1/enroll" {
            let (status, body) = request(
                method,
                &collector.url_as("inspektorat", "auditor-password", &case.path),
                &[],
                case.body.as_ref(),
            )
            .unwrap();
            assert_eq!(status, 403, "auditor {method} {}: {body}", case.path);
        }
    }
    // Nothing of B changed.
    let flag = get_json(&collector.url(&format!("/api/v1/flags/{flag_b}")));
    assert_eq!(flag["state"], "open", "{flag}");
    let layers = get_json(&collector.url("/api/v1/agent-config"));
    assert!(!layers.to_string().contains(HOST_B), "{layers}");

    // An API token from the CLI works as Bearer, and acts under its user's name.
    let token = collector.cli(&["user", "token", "op-a", "--name", "test"], None);
    let auth = format!("Bearer {}", token.trim());
    let flags_a = get_json(&collector.url(&format!("/api/v1/flags?opd={OPD_A}")));
    let flag_a = flags_a[0]["id"].as_i64().unwrap();
    let (status, body) = request(
        "POST",
        &collector.plain_url(&format!("/api/v1/flags/{flag_a}/ack")),
        &[("authorization", &auth)],
        Some(&json!({ "by": "someone-else", "note": "dicek" })),
    )
    .unwrap();
    assert_eq!(status, 200, "{body}");
    let flag: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        flag["ack_by"], "op-a",
        "the signed-in user acts, not the body's `by`"
    );

    // The audit log has the change and the refusals, through the API and the CLI.
    let audit = get_json(&collector.url("/api/v1/audit?actor=op-a"));
    let lines = audit.as_array().unwrap();
    assert!(
        lines
            .iter()
            .any(|l| l["action"] == "flag.ack" && l["outcome"] == "ok"),
        "{audit:#}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l["action"] == "flag.ack" && l["outcome"] == "not_found"),
        "{audit:#}"
    );
    // Revoking one token stops it at once; a second token of the same user keeps working.
    let second = collector.cli(&["user", "token", "op-a", "--name", "spare"], None);
    let spare = format!("Bearer {}", second.trim());
    let tokens = collector.cli(&["user", "tokens", "op-a"], None);
    let first_id = tokens
        .lines()
        .find(|l| l.split('\t').nth(1) == Some("test"))
        .and_then(|l| l.split('\t').next())
        .unwrap_or_else(|| panic!("no token `test` in:\n{tokens}"))
        .to_owned();
    collector.cli(&["user", "revoke-token", "op-a", &first_id], None);
    let me = collector.plain_url("/api/v1/me");
    let (status, _) = request("GET", &me, &[("authorization", &auth)], None).unwrap();
    assert_eq!(status, 401, "a revoked token still works");
    let (status, _) = request("GET", &me, &[("authorization", &spare)], None).unwrap();
    assert_eq!(status, 200, "revoking one token stopped another");
    let cli = collector.cli(&["audit", "list", "--action", "user."], None);
    assert!(cli.contains("user.token_revoke"), "{cli}");
    assert!(cli.contains("user.add") && cli.contains("op-a"), "{cli}");
    let (status, _) = request("GET", &op("/api/v1/audit"), &[], None).unwrap();
    assert_eq!(status, 403, "operators do not read the audit log");

    // A disabled user's token and password stop working at once.
    collector.cli(&["user", "disable", "op-a"], None);
    let list = collector.cli(&["user", "list"], None);
    assert!(
        list.lines()
            .any(|l| l.starts_with("op-a\t") && l.ends_with("disabled")),
        "{list}"
    );
    let hosts = collector.plain_url("/api/v1/hosts");
    let (status, _) = request("GET", &hosts, &[("authorization", &auth)], None).unwrap();
    assert_eq!(status, 401);
    let (status, _) = request("GET", &op("/api/v1/hosts"), &[], None).unwrap();
    assert_eq!(status, 401);
}
