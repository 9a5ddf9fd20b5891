//! Envelope decoding: the one place that reads an MQTT payload. Any input must give a
//! verified message or a typed rejection, never a panic. The first byte picks the kind of
//! topic, the rest is the payload; a fixed enrolled key makes signed seeds reach the body
//! decoders.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pantau_proto::{envelope::decode, AgentKey, Kind};
use std::sync::OnceLock;

fn key() -> &'static AgentKey {
    static KEY: OnceLock<AgentKey> = OnceLock::new();
    // Not a secret: bytes 1..=32, the key the seed corpus is signed with (examples/seeds.rs).
    KEY.get_or_init(|| AgentKey::from_base64(include_str!("../fuzz-agent.key").trim()).unwrap())
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, payload)) = data.split_first() else {
        return;
    };
    let kind = Kind::ALL[pick as usize % Kind::ALL.len()];
    let topic = format!("pantau/v1/fuzz-pc/{kind}");
    let public = key().public();
    if let Ok(v) = decode(&topic, payload, |id| {
        (id == "fuzz-pc").then(|| public.clone())
    }) {
        // Whatever passed must survive a round trip through its own encoder.
        let bytes = v.envelope.to_bytes();
        assert!(decode(&topic, &bytes, |_| Some(key().public())).is_ok());
    }
});
