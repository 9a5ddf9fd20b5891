//! The canonical byte form that signatures cover.
//!
//! Signing the bytes as sent would force the receiver to keep them verbatim; signing a typed
//! struct would make every added field a breaking change (an old collector would drop the
//! field and compute different bytes). Instead we sign a canonical rendering of the JSON value
//! itself, minus `sig`: object keys sorted by their UTF-8 bytes, no whitespace, strings escaped
//! as serde_json escapes them, numbers as serde_json prints them (shortest round-trip form,
//! which is why the workspace enables `float_roundtrip`). Unknown fields are covered too, so
//! nobody can add one in transit. The rendering is written out here rather than relying on
//! serde_json's map ordering, which a dependency enabling `preserve_order` would silently change.

use serde_json::{Map, Value};

pub fn to_vec(value: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    write(value, &mut out);
    out
}

/// [`to_vec`] of an object held as its map (the envelope minus `sig`, without rebuilding a
/// `Value` around it).
pub fn to_vec_object(map: &Map<String, Value>) -> Vec<u8> {
    let mut out = Vec::with_capacity(1024);
    write_object(map, &mut out);
    out
}

fn write(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Number(n) => out.extend_from_slice(n.to_string().as_bytes()),
        Value::String(s) => write_str(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write(item, out);
            }
            out.push(b']');
        }
        Value::Object(map) => write_object(map, out),
    }
}

fn write_object(map: &Map<String, Value>, out: &mut Vec<u8>) {
    let mut entries: Vec<(&String, &Value)> = map.iter().collect();
    entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
    out.push(b'{');
    for (i, (key, value)) in entries.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_str(key, out);
        out.push(b':');
        write(value, out);
    }
    out.push(b'}');
}

fn write_str(s: &str, out: &mut Vec<u8>) {
    // serde_json's string escaping is deterministic; writing into a Vec cannot fail.
    serde_json::to_writer(&mut *out, s).expect("writing to a Vec");
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sorts_keys_at_every_depth_and_drops_whitespace() {
        let v: Value = serde_json::from_str(
            r#"{ "b": 1, "a": {"z": [1, 2.5, "x\n"], "y": null}, "c": true }"#,
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(to_vec(&v)).unwrap(),
            r#"{"a":{"y":null,"z":[1,2.5,"x\n"]},"b":1,"c":true}"#
        );
    }

    #[test]
    fn floats_survive_a_round_trip_through_text() {
        for f in [0.1, 1.0 / 3.0, 1e-300, 123456.789, 99.99999999999999] {
            let v = json!({ "f": f });
            let text = String::from_utf8(to_vec(&v)).unwrap();
            let back: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(to_vec(&back), to_vec(&v), "{f}");
        }
    }
}
