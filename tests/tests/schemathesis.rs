//! The API against its own description: schemathesis (PyPI, installed by `.ci/run` into
//! /opt/pantau-schemathesis) reads `/openapi.json` from a running collector holding a small
//! fleet with a register and flags, and sends every operation generated requests, valid and
//! invalid, as an admin. It fails on any 5xx answer, any status the document does not list,
//! any answer whose content type or body does not match its schema, and any request the
//! schema says is invalid that the collector accepts.

use pantau_tests::fleet::two_opds;
use pantau_tests::{Collector, Mosquitto};
use std::path::Path;
use std::process::Command;

const ST: &str = "/opt/pantau-schemathesis/bin/st";

#[test]
fn the_api_keeps_to_its_openapi_document() {
    assert!(
        Path::new(ST).exists(),
        "{ST} missing: `bash .ci/run` installs schemathesis there"
    );
    let broker = Mosquitto::start();
    let collector = Collector::start(&broker);
    let _fleet = two_opds(&broker, &collector);
    let token = collector
        .cli(&["user", "token", "admin", "--name", "schemathesis"], None)
        .trim()
        .to_owned();
    let report = collector.dir().join("schemathesis");
    let out = Command::new(ST)
        .arg("run")
        .arg(collector.plain_url("/openapi.json"))
        .args(["--header", &format!("Authorization: Bearer {token}")])
        .args([
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,\
             response_schema_conformance,negative_data_rejection",
        ])
        // The examples and boundary values of every parameter, then random requests; a
        // bounded number per operation keeps the run under a minute or two.
        .args(["--phases", "examples,coverage,fuzzing"])
        .args(["--max-examples", "25", "--workers", "1", "--seed", "1"])
        // Changing operations are exercised too: this collector is thrown away after.
        .args(["--report", "junit", "--report-dir"])
        .arg(&report)
        .env("NO_COLOR", "1")
        .output()
        .expect("run schemathesis");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{text}");
    assert!(out.status.success(), "schemathesis found problems:\n{text}");
    // It really tested: the summary names the operations it ran.
    assert!(
        text.contains("/api/v1/flags/{id}/ack") || text.contains("passed"),
        "schemathesis ran nothing?\n{text}"
    );
    collector.log();
}
