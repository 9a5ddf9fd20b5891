//! Writes the signed envelope seeds of the `envelope` fuzz target (fuzz/corpus/envelope/):
//! real message shapes signed with the fuzzing key, so they pass the signature check and
//! reach the body decoders. `cargo run -p pantau-proto --example fuzz_seeds -- DIR`.

use pantau_proto::{AgentKey, Envelope, Kind};
use std::path::PathBuf;

fn main() {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "fuzz/corpus/envelope".into()),
    );
    std::fs::create_dir_all(&dir).unwrap();
    let put = |name: &str, bytes: &[u8]| std::fs::write(dir.join(name), bytes).unwrap();
    let key = AgentKey::from_base64(include_str!("../../fuzz/fuzz-agent.key").trim()).unwrap();
    let ts = chrono::DateTime::parse_from_rfc3339("2026-11-01T08:00:00Z")
        .unwrap()
        .to_utc();
    let bodies = [
        (
            Kind::Metrics,
            r#"{"interval_s":30,"samples":[{"ts":"2026-11-01T08:00:00Z","cpu":{"busy_pct":12.5},"mem":{"total_bytes":8000000000,"used_bytes":4000000000}}]}"#,
        ),
        (
            Kind::Status,
            r#"{"state":"online","agent_version":"0.1.0","seq":7}"#,
        ),
        (
            Kind::Inventory,
            r#"{"hostname":"dinkes-pc017","system":{"vendor":"Acer","model":"Veriton","serial":"SN-1"},"nics":[{"name":"eth0","mac":"00:11:22:33:44:55","addrs":["10.1.2.3/24"]}],"software":[{"name":"firefox","version":"128"}]}"#,
        ),
        (
            Kind::Net,
            r#"{"ts":"2026-11-01T08:00:00Z","probes":[],"http":[]}"#,
        ),
        (
            Kind::Usage,
            r#"{"collected_at":"2026-11-01T08:00:00Z","processes":[],"listeners":[]}"#,
        ),
        (
            Kind::Discovery,
            r#"{"devices":[{"ip":"10.1.2.9","mac":"00:11:22:33:44:66"}]}"#,
        ),
    ];
    for (i, (kind, body)) in bodies.iter().enumerate() {
        let body: serde_json::Value = serde_json::from_str(body).unwrap();
        let env = Envelope::sign(&key, "fuzz-pc", i as u64 + 1, ts, *kind, &body);
        // First byte: the index of the topic's kind in Kind::ALL (fuzz_targets/envelope.rs).
        let pick = Kind::ALL.iter().position(|k| k == kind).unwrap() as u8;
        let mut data = vec![pick];
        data.extend(env.to_bytes());
        put(&format!("{kind}.json"), &data);
    }
    put("not-json", b"\x01{\"v\":1,");
    put("future-version", b"\x01{\"v\":9,\"agent_id\":\"fuzz-pc\"}");

    println!("seeds written to {}", dir.display());
}
