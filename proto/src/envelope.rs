//! The signed envelope around every message, and the one place that decodes untrusted input.

use crate::body::Body;
use crate::{canonical, topic, AgentKey, Kind, PublicKey};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;

/// The schema major this build speaks. A receiver rejects any other.
pub const SCHEMA_MAJOR: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    /// Schema major.
    pub v: u32,
    pub agent_id: String,
    /// Monotonic per agent for data kinds, persisted across restarts (see [`Kind::is_data`]).
    pub seq: u64,
    /// When the agent created the message (UTC, RFC 3339).
    pub ts: DateTime<Utc>,
    pub kind: Kind,
    pub body: Value,
    /// Base64 ed25519 signature over [`canonical`] bytes of every other field.
    pub sig: String,
}

impl Envelope {
    /// Build and sign an envelope around `body`.
    pub fn sign<B: Serialize>(
        key: &AgentKey,
        agent_id: &str,
        seq: u64,
        ts: DateTime<Utc>,
        kind: Kind,
        body: &B,
    ) -> Envelope {
        let body = serde_json::to_value(body).expect("bodies serialize to JSON");
        let mut env = Envelope {
            v: SCHEMA_MAJOR,
            agent_id: agent_id.to_owned(),
            seq,
            ts,
            kind,
            body,
            sig: String::new(),
        };
        let value = serde_json::to_value(&env).expect("envelope serializes");
        env.sig = key.sign(&signed_bytes(&value));
        env
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("envelope serializes")
    }

    pub fn topic(&self) -> String {
        topic::topic(&self.agent_id, self.kind)
    }
}

/// The bytes a signature covers: the canonical form of the envelope object without `sig`.
fn signed_bytes(envelope: &Value) -> Vec<u8> {
    match envelope {
        Value::Object(map) => {
            let mut map = map.clone();
            map.remove("sig");
            canonical::to_vec(&Value::Object(map))
        }
        other => canonical::to_vec(other),
    }
}

/// Why a message was refused. The collector counts rejects by this label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RejectReason {
    /// Topic not of the form `pantau/v1/{agent_id}/{kind}`, or a kind agents may not send.
    BadTopic,
    /// Payload larger than the kind's limit.
    Oversized,
    /// Not JSON at all (truncated, binary, ...).
    Malformed,
    /// JSON, but a field is missing or has the wrong type.
    Schema,
    /// `v` is a schema major this build does not know.
    UnknownVersion,
    /// `agent_id` or `kind` in the envelope differ from the topic.
    TopicMismatch,
    /// No enrolled, unrevoked agent with that id.
    UnknownAgent,
    /// The signature does not verify with the agent's enrolled key.
    BadSignature,
    /// The envelope is fine but the body does not fit its kind.
    BadBody,
    /// The agent was revoked (`pantau-collector agents revoke`): whatever it sends is refused.
    Revoked,
}

impl RejectReason {
    pub const ALL: [RejectReason; 10] = [
        RejectReason::BadTopic,
        RejectReason::Oversized,
        RejectReason::Malformed,
        RejectReason::Schema,
        RejectReason::UnknownVersion,
        RejectReason::TopicMismatch,
        RejectReason::UnknownAgent,
        RejectReason::BadSignature,
        RejectReason::BadBody,
        RejectReason::Revoked,
    ];

    /// Stable snake_case label for metrics and logs.
    pub fn label(self) -> &'static str {
        match self {
            RejectReason::BadTopic => "bad_topic",
            RejectReason::Oversized => "oversized",
            RejectReason::Malformed => "malformed",
            RejectReason::Schema => "schema",
            RejectReason::UnknownVersion => "unknown_version",
            RejectReason::TopicMismatch => "topic_mismatch",
            RejectReason::UnknownAgent => "unknown_agent",
            RejectReason::BadSignature => "bad_signature",
            RejectReason::BadBody => "bad_body",
            RejectReason::Revoked => "revoked",
        }
    }
}

/// A refused message: the reason, and a human explanation that names the topic and field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    pub reason: RejectReason,
    pub detail: String,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.reason.label(), self.detail)
    }
}

impl std::error::Error for DecodeError {}

fn reject(reason: RejectReason, detail: impl Into<String>) -> DecodeError {
    DecodeError {
        reason,
        detail: detail.into(),
    }
}

/// A message that passed every check.
#[derive(Debug, Clone)]
pub struct Verified {
    pub envelope: Envelope,
    pub body: Body,
}

/// Deepest nesting of arrays and objects a message may have. Real messages stay under 8;
/// serde_json's own limit (128) would stop a stack overflow, this stops work on absurd input
/// early and keeps the canonical re-encoding (recursive) shallow.
pub const MAX_DEPTH: usize = 32;

/// The byte offset where `payload` first nests deeper than [`MAX_DEPTH`], if it does.
/// Brackets inside strings do not count; the scan is one pass and allocates nothing.
fn too_deep(payload: &[u8]) -> Option<usize> {
    let (mut depth, mut in_str, mut escaped) = (0usize, false, false);
    for (i, &b) in payload.iter().enumerate() {
        if in_str {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_str = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Some(i);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

/// Decode and verify one MQTT message.
///
/// Checks run cheapest first, and the signature is checked before the body is interpreted,
/// so unauthenticated input never reaches the typed body decoders. `key_of` returns the
/// enrolled public key of an agent id, or `None` if it is unknown or revoked.
pub fn decode(
    topic_name: &str,
    payload: &[u8],
    key_of: impl FnOnce(&str) -> Option<PublicKey>,
) -> Result<Verified, DecodeError> {
    let (topic_agent, topic_kind) =
        topic::parse(topic_name).map_err(|e| reject(RejectReason::BadTopic, e))?;
    if topic_kind == Kind::Config {
        return Err(reject(
            RejectReason::BadTopic,
            format!("topic {topic_name}: agents may not publish config"),
        ));
    }
    if payload.len() > topic_kind.max_bytes() {
        return Err(reject(
            RejectReason::Oversized,
            format!(
                "topic {topic_name}: payload of {} bytes exceeds the {} limit of {} bytes",
                payload.len(),
                topic_kind,
                topic_kind.max_bytes()
            ),
        ));
    }
    if let Some(depth) = too_deep(payload) {
        return Err(reject(
            RejectReason::Malformed,
            format!(
                "topic {topic_name}: JSON nested deeper than {MAX_DEPTH} levels (at byte {depth})"
            ),
        ));
    }
    let value: Value = serde_json::from_slice(payload).map_err(|e| {
        reject(
            RejectReason::Malformed,
            format!("topic {topic_name}: not valid JSON: {e}"),
        )
    })?;
    // Check the version before the shape: a future major may well have a different shape, and
    // "unknown version" is the error that tells the operator what to do.
    match value.get("v") {
        Some(Value::Number(n)) if n.as_u64() == Some(SCHEMA_MAJOR as u64) => {}
        Some(Value::Number(n)) => {
            return Err(reject(
                RejectReason::UnknownVersion,
                format!(
                    "topic {topic_name}: schema version {n}, this collector speaks {SCHEMA_MAJOR}"
                ),
            ))
        }
        _ => {}
    }
    // The signed bytes come from the parsed object with `sig` taken out and put back, and the
    // envelope is then built by moving the object: no copy of the body is ever made.
    let (value, signed) = match value {
        Value::Object(mut map) => {
            let sig = map.remove("sig");
            let signed = canonical::to_vec_object(&map);
            if let Some(sig) = sig {
                map.insert("sig".into(), sig);
            }
            (Value::Object(map), signed)
        }
        other => {
            let signed = canonical::to_vec(&other);
            (other, signed)
        }
    };
    let envelope: Envelope = serde_path_to_error::deserialize(value).map_err(|e| {
        reject(
            RejectReason::Schema,
            format!("topic {topic_name}: field `{}`: {}", e.path(), e.inner()),
        )
    })?;
    if envelope.agent_id != topic_agent || envelope.kind != topic_kind {
        return Err(reject(
            RejectReason::TopicMismatch,
            format!(
                "topic {topic_name} carries agent_id {:?} kind {}",
                envelope.agent_id, envelope.kind
            ),
        ));
    }
    let key = key_of(topic_agent).ok_or_else(|| {
        reject(
            RejectReason::UnknownAgent,
            format!("topic {topic_name}: agent {topic_agent:?} is not enrolled or is revoked"),
        )
    })?;
    if !key.verify(&signed, &envelope.sig) {
        return Err(reject(
            RejectReason::BadSignature,
            format!("topic {topic_name}: signature does not verify with the enrolled key"),
        ));
    }
    let body = Body::decode(envelope.kind, &envelope.body).map_err(|e| {
        reject(
            RejectReason::BadBody,
            format!("topic {topic_name}: body {e}"),
        )
    })?;
    Ok(Verified { envelope, body })
}

#[cfg(test)]
mod tests;
